"""The rows a cancel locks: the operation's account, then the operation unless a worker holds it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from service.store.models import Account, Operation

LOCK_NOT_AVAILABLE = "55P03"


class OperationHeld(Exception):
    """Another transaction (a worker executing the operation) holds the operation's row."""


async def lock_for_cancel(
    session: AsyncSession, organization_id: int, operation_id: uuid.UUID
) -> tuple[Operation, Account] | None:
    """The organization's operation and its account, both locked; None when there is no such
    operation. The account is locked first, as every accept does; then the operation without
    waiting (OperationHeld): a worker that holds its row is executing it."""
    found = await session.scalar(
        select(Operation).where(
            Operation.id == operation_id, Operation.organization_id == organization_id
        )
    )
    if found is None:
        return None
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
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE or LOCK_NOT_AVAILABLE in str(
            exc
        ):
            raise OperationHeld(str(found.id)) from None
        raise
    if operation is None or account is None:  # pragma: no cover - rows cannot vanish here
        return None
    return operation, account
