"""Accepting a move of an account to another tenant cluster: the checks, the target's slot
taken under placement's lock, the queued operation."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import InvalidArgument, NotFound
from service.domain.lifecycle import OperationKind
from service.domain.moves import move_refusal
from service.domain.refs import AccountRef
from service.store import moves as store
from service.store.models import Account, Operation
from service.usecases.accounts import (
    AcceptContext,
    find_account_or_404,
    require_startable,
    start_operation,
)


async def move_account(
    session: AsyncSession, ctx: AcceptContext, ref: AccountRef, target: str
) -> Operation:
    """Queue the move; the target keeps a slot for the account until the move ends (so
    concurrent creates cannot fill it meanwhile)."""
    account = await find_account_or_404(session, ctx, ref)
    return await _move(session, ctx, account, target)


async def move_fleet_account(
    session: AsyncSession, ctx: AcceptContext, public_id: uuid.UUID, target: str
) -> Operation:
    """The same move of an account of any organization, named by its immutable id (a fleet
    admin draining a cluster); the operation is the account's organization's, and its result
    is readable by the token that asked too."""
    account = await store.fleet_account(session, public_id)
    if account is None:
        raise NotFound(f"account {public_id} does not exist")
    return await _move(session, ctx, account, target)


async def _move(
    session: AsyncSession, ctx: AcceptContext, account: Account, target: str
) -> Operation:
    await require_startable(session, account, OperationKind.MOVE)
    cluster = await store.lock_target(session, target)
    if cluster is None:
        raise InvalidArgument(f"cluster: {target} is not a tenant cluster of the fleet")
    refusal = move_refusal(
        account.name,
        source=account.cluster,
        source_region=account.region,
        target=cluster.name,
        target_state=cluster.state,
        target_region=cluster.region,
        full=cluster.placed_accounts >= cluster.capacity,
    )
    if refusal is not None:
        raise refusal
    source = account.cluster
    operation = await start_operation(
        session, ctx, account, OperationKind.MOVE, {"from": source, "cluster": cluster.name}
    )
    await store.reserve_slot(session, cluster.name)
    return operation
