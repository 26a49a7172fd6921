"""Canceling a queued operation: the account returns to the state it had."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import Conflict, NotFound
from service.domain.identifiers import parse_uuid
from service.domain.lifecycle import OperationState
from service.domain.tokens import Principal
from service.store.models import Account, Operation
from service.usecases.operations import NOTIFY_DONE, cancel_queued_operation, done_notification

log = structlog.get_logger(__name__)

LOCK_NOT_AVAILABLE = "55P03"


def _running(operation_id: object) -> Conflict:
    return Conflict(f"operation {operation_id} is running; only a queued operation can be canceled")


async def cancel_operation(
    session: AsyncSession, principal: Principal, handle: str, request_id: str
) -> Operation:
    operation_id = parse_uuid(handle)
    found = None
    if operation_id is not None:
        found = await session.scalar(
            select(Operation).where(
                Operation.id == operation_id,
                Operation.organization_id == principal.organization_id,
            )
        )
    if found is None:
        raise NotFound(f"operation {handle} does not exist")
    # Account first, as every accept does; then the operation without waiting: a worker that
    # holds its row is executing it, which makes it too late to cancel.
    account = await session.scalar(
        select(Account).where(Account.id == found.account_id).with_for_update()
    )
    try:
        operation = await session.scalar(
            select(Operation)
            .where(Operation.id == found.id)
            .with_for_update(nowait=True)
            .execution_options(populate_existing=True)
        )
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE or "55P03" in str(exc):
            raise _running(found.id) from None
        raise
    if operation is None or account is None:  # pragma: no cover - rows cannot vanish here
        raise NotFound(f"operation {handle} does not exist")
    if operation.state == OperationState.RUNNING:
        raise _running(operation.id)
    if operation.state != OperationState.QUEUED:
        raise Conflict(
            f"operation {operation.id} is already {operation.state.value}; nothing to cancel"
        )
    cancel_queued_operation(operation, account, datetime.now(UTC), request_id)
    await session.execute(NOTIFY_DONE, done_notification(operation))
    log.info(
        "operation.canceled",
        state=operation.state.value,
        operation_id=str(operation.id),
        kind=operation.kind.value,
        account=account.name,
    )
    return operation
