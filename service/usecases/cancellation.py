"""Canceling a queued operation: the account returns to the state it had."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import Conflict, NotFound
from service.domain.identifiers import parse_uuid
from service.domain.lifecycle import OperationKind, OperationState
from service.domain.tokens import Principal
from service.store.cancellations import OperationHeld, lock_for_cancel
from service.store.models import Operation
from service.store.moves import release_slot_async
from service.store.notifications import ANNOUNCE_DONE, announced
from service.usecases.operations import cancel_queued_operation

log = structlog.get_logger(__name__)


def _running(operation_id: object) -> Conflict:
    return Conflict(f"operation {operation_id} is running; only a queued operation can be canceled")


async def cancel_operation(
    session: AsyncSession, principal: Principal, handle: str, request_id: str
) -> Operation:
    operation_id = parse_uuid(handle)
    try:
        locked = (
            None
            if operation_id is None
            else await lock_for_cancel(session, principal.organization_id, operation_id)
        )
    except OperationHeld:
        raise _running(operation_id) from None
    if locked is None:
        raise NotFound(f"operation {handle} does not exist")
    operation, account = locked
    if operation.state == OperationState.RUNNING:
        raise _running(operation.id)
    if operation.state != OperationState.QUEUED:
        raise Conflict(
            f"operation {operation.id} is already {operation.state.value}; nothing to cancel"
        )
    cancel_queued_operation(operation, account, datetime.now(UTC), request_id)
    if operation.kind == OperationKind.MOVE:  # the target's slot, held since the accept
        await release_slot_async(session, str(operation.request["cluster"]))
    await session.execute(ANNOUNCE_DONE, announced(operation.id))
    log.info(
        "operation.canceled",
        state=operation.state.value,
        operation_id=str(operation.id),
        kind=operation.kind.value,
        account=account.name,
    )
    return operation
