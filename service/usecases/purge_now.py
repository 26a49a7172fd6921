"""Purge now: a dropped account's purge queued at once, before its grace period ends."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.lifecycle import OperationKind
from service.domain.refs import AccountRef
from service.store.models import Operation
from service.usecases.accounts import (
    AcceptContext,
    find_account_or_404,
    require_startable,
    start_operation,
)

# Recorded on the operation, so that it tells an erasure on request from a scheduled purge.
PURGE_NOW_REQUEST = {"purge_now": True}


async def purge_account(session: AsyncSession, ctx: AcceptContext, ref: AccountRef) -> Operation:
    """Queue the purge of a DROPPED account (409 naming its state otherwise).

    The same operation, worker path and lock as the beat's scheduled purge: the account row is
    locked here, the scan skips locked rows and takes only DROPPED ones, and the in-flight unique
    index refuses a second purge, so the two can never both run."""
    account = await find_account_or_404(session, ctx, ref)
    await require_startable(session, account, OperationKind.PURGE)
    return await start_operation(session, ctx, account, OperationKind.PURGE, PURGE_NOW_REQUEST)
