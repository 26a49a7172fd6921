"""Results read from the operations table: many polls in one query, a password handed over once."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from service.domain.errors import Internal
from service.domain.lifecycle import TERMINAL_OPERATION_STATES, OperationState
from service.domain.passwords import PasswordSeal, SealingError
from service.domain.results import ResultResponse, render_answer
from service.store.db import HotPool

# The operations many concurrent polls ask for, in one query (each poll is one of `wanted`).
_PEEK = """
SELECT wanted.position, o.state, o.response_status, o.response_body,
       o.sealed_password IS NOT NULL AND NOT o.password_given AS password_waiting
FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS wanted(id, organization_id, position)
JOIN operations o ON o.id = wanted.id AND o.organization_id = wanted.organization_id
"""


@dataclass(frozen=True)
class PeekedResult:
    state: OperationState
    response_status: int | None
    response_body: str | None
    password_waiting: bool


async def peek_results(
    pool: HotPool, wanted: list[tuple[uuid.UUID, int]], *, wait_seconds: float
) -> list[PeekedResult | None]:
    """For each (operation id, organization id), its result as it stands, or None when the
    organization has no such operation; one query for all."""
    async with pool.acquire(wait_seconds=wait_seconds) as connection:
        rows = await connection.fetch(_PEEK, [ids for ids, _ in wanted], [org for _, org in wanted])
    found: list[PeekedResult | None] = [None] * len(wanted)
    for row in rows:
        found[row["position"] - 1] = PeekedResult(
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
    return render_answer(
        operation_id, OperationState(row["state"]), row["response_status"], body, password
    )
