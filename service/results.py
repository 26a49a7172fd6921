"""An operation rendered as the result resource that clients poll."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.credentials import PasswordSeal, SealingError
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


_PEEK = """
SELECT state, response_status, response_body,
       sealed_password IS NOT NULL AND NOT password_given AS password_waiting
FROM operations WHERE id = $1 AND organization_id = $2
"""


async def peek_result(
    pool: asyncpg.Pool,
    organization_id: int,
    handle: str,
    *,
    may_receive_password: bool,
    acquire_seconds: float,
) -> ResultResponse | None:
    """The result from one plain read — what every poll before the end gets — or None when a
    generated password waits for this caller: `read_result` hands it over under a row lock."""
    missing = NotFound(f"result {handle} does not exist")
    operation_id = parse_uuid(handle)
    if operation_id is None:
        raise missing
    async with pool.acquire(timeout=acquire_seconds) as connection:
        row = await connection.fetchrow(_PEEK, operation_id, organization_id)
    if row is None:
        raise missing
    state = OperationState(row["state"])
    if row["password_waiting"] and may_receive_password and state in TERMINAL_OPERATION_STATES:
        return None
    body = json.loads(row["response_body"]) if row["response_body"] is not None else None
    return _render(operation_id, state, row["response_status"], body, None)


async def read_result(
    session: AsyncSession,
    organization_id: int,
    handle: str,
    seal: PasswordSeal,
    *,
    may_receive_password: bool,
) -> ResultResponse:
    """The result of the caller's operation; a generated password is handed over only once,
    and only to a caller who may change accounts (a viewer sees null and leaves it there).

    The caller commits the session before answering, so the password leaves exactly once.
    """
    operation = await find_operation(session, organization_id, handle)
    if (
        may_receive_password
        and operation.state in TERMINAL_OPERATION_STATES
        and operation.sealed_password is not None
        and not operation.password_given
    ):
        locked = await session.scalar(
            select(Operation)
            .where(Operation.id == operation.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if locked is not None and locked.sealed_password is not None:
            try:
                password = seal.open(locked.sealed_password)
            except SealingError as exc:
                raise Internal(
                    "the generated password cannot be unsealed with this SECRET_KEY; "
                    "rotate the credentials (POST /api/v2/accounts/{name}:rotateCredentials)"
                ) from exc
            locked.sealed_password = None
            return render_result(locked, password)
    return render_result(operation)


async def find_operation(session: AsyncSession, organization_id: int, handle: str) -> Operation:
    """The caller's operation by handle; any other organization's handle does not exist."""
    operation_id = parse_uuid(handle)
    operation = None
    if operation_id is not None:
        operation = await session.scalar(
            select(Operation).where(
                Operation.id == operation_id, Operation.organization_id == organization_id
            )
        )
    if operation is None:
        raise NotFound(f"result {handle} does not exist")
    return operation
