"""An operation rendered as the result resource that clients poll."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from service.coalesce import Coalescer
from service.credentials import PasswordSeal, SealingError
from service.db import HotPool
from service.errors import Internal, NotFound
from service.identifiers import parse_uuid
from service.lifecycle import TERMINAL_OPERATION_STATES, OperationState
from service.models import Operation

IN_PROGRESS_CODE = "392604"
IN_PROGRESS_MESSAGE = (
    "Request execution in progress. Use the provided location header or result handler ID "
    "to perform query monitoring and management."
)
SUCCESS_STATUS = "Request successfully completed"
RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class ResultResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def result_location(handle: uuid.UUID | str) -> str:
    return f"/api/v2/results/{handle}"


def accepted(handle: uuid.UUID | str) -> ResultResponse:
    """The 202 answered on accept and on every poll until the operation is done."""
    return ResultResponse(
        202,
        {"code": IN_PROGRESS_CODE, "message": IN_PROGRESS_MESSAGE, "resultHandler": str(handle)},
        {"Location": result_location(handle), "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def success_body(**extra: Any) -> dict[str, Any]:
    return {"status": SUCCESS_STATUS, **extra}


def render_result(operation: Operation, password: str | None = None) -> ResultResponse:
    """The poll answer; a result with credentials carries `password` (null once handed over)."""
    return _render(
        operation.id, operation.state, operation.response_status, operation.response_body, password
    )


def _render(
    handle: uuid.UUID,
    state: OperationState,
    status: int | None,
    body: dict[str, Any] | None,
    password: str | None,
) -> ResultResponse:
    if state not in TERMINAL_OPERATION_STATES or status is None:
        return accepted(handle)
    answer = dict(body or {})
    if isinstance(answer.get("credentials"), dict):
        answer["credentials"] = {**answer["credentials"], "password": password}
    return ResultResponse(status, answer)


# The operations many concurrent polls ask for, in one query (each poll is one of `wanted`).
_PEEK = """
SELECT wanted.position, o.state, o.response_status, o.response_body,
       o.sealed_password IS NOT NULL AND NOT o.password_given AS password_waiting
FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS wanted(id, organization_id, position)
JOIN operations o ON o.id = wanted.id AND o.organization_id = wanted.organization_id
"""
MAX_PEEKS_PER_QUERY = 256


@dataclass(frozen=True)
class _Peeked:
    state: OperationState
    response_status: int | None
    response_body: str | None
    password_waiting: bool


class ResultPeeks:
    """The polls in flight read together: one query and one pooled connection for all of them
    instead of one each (under load most of a poll's database cost was per query)."""

    def __init__(self, pool: HotPool, *, wait_seconds: float) -> None:
        self._pool = pool
        self._wait_seconds = wait_seconds
        self._reads: Coalescer[tuple[uuid.UUID, int], _Peeked | None] = Coalescer(
            self._read_many,
            max_batch=MAX_PEEKS_PER_QUERY,
            max_in_flight=2,
            name="result-peeks",
            queue_seconds=wait_seconds,
        )

    async def peek(
        self,
        organization_id: int,
        handle: str,
        *,
        may_receive_password: bool,
    ) -> ResultResponse | None:
        """The result from a plain read — what every poll before the end gets — or None when a
        generated password waits for this caller: `hand_over_password` gives it, once."""
        missing = NotFound(f"result {handle} does not exist")
        operation_id = parse_uuid(handle)
        if operation_id is None:
            raise missing
        peeked = await self._reads.submit((operation_id, organization_id))
        if peeked is None:
            raise missing
        terminal = peeked.state in TERMINAL_OPERATION_STATES
        if peeked.password_waiting and may_receive_password and terminal:
            return None
        body = json.loads(peeked.response_body) if peeked.response_body is not None else None
        return _render(operation_id, peeked.state, peeked.response_status, body, None)

    async def _read_many(self, wanted: list[tuple[uuid.UUID, int]]) -> list[_Peeked | None]:
        async with self._pool.acquire(wait_seconds=self._wait_seconds) as connection:
            rows = await connection.fetch(
                _PEEK, [ids for ids, _ in wanted], [org for _, org in wanted]
            )
        found: list[_Peeked | None] = [None] * len(wanted)
        for row in rows:
            found[row["position"] - 1] = _Peeked(
                OperationState(row["state"]),
                row["response_status"],
                row["response_body"],
                row["password_waiting"],
            )
        return found


# A generated password handed over once: the row is locked, the sealed password taken and
# cleared in one statement that commits on its own before the answer leaves (one round trip: an
# explicit transaction of four made the end-to-end create ~4 ms slower). A second caller waits
# for the lock, then finds it cleared (no row) and reads the result without it.
_HAND_OVER = """
WITH taken AS (
    SELECT id, sealed_password FROM operations
    WHERE id = $1 AND organization_id = $2 AND state = ANY($3::text[])
      AND sealed_password IS NOT NULL AND NOT password_given
    FOR UPDATE
)
UPDATE operations o SET sealed_password = NULL
FROM taken WHERE o.id = taken.id
RETURNING taken.sealed_password, o.state, o.response_status, o.response_body
"""
# Puts back a password this process could not unseal (another SECRET_KEY, say halfway through
# a rolling deploy), for a process that can.
_PUT_BACK = """
UPDATE operations SET sealed_password = $2
WHERE id = $1 AND sealed_password IS NULL AND NOT password_given
"""
_TERMINAL_STATES = sorted(state.value for state in TERMINAL_OPERATION_STATES)


async def hand_over_password(
    pool: HotPool,
    organization_id: int,
    operation_id: uuid.UUID,
    seal: PasswordSeal,
    *,
    wait_seconds: float,
) -> ResultResponse | None:
    """The finished result with its generated password, taken from the row for good; None when
    another caller took it first (the plain read then shows it as null)."""
    async with pool.acquire(wait_seconds=wait_seconds) as connection:
        row = await connection.fetchrow(_HAND_OVER, operation_id, organization_id, _TERMINAL_STATES)
        if row is None:
            return None
        try:
            password = seal.open(row["sealed_password"])
        except SealingError as exc:
            await connection.execute(_PUT_BACK, operation_id, row["sealed_password"])
            raise Internal(
                "the generated password cannot be unsealed with this SECRET_KEY; "
                "rotate the credentials (POST /api/v2/accounts/{name}:rotateCredentials)"
            ) from exc
    body = json.loads(row["response_body"]) if row["response_body"] is not None else None
    return _render(
        operation_id, OperationState(row["state"]), row["response_status"], body, password
    )
