"""A move's statements: the target cluster's slot held from accept to the move's end, and the
last step the worker finished."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import Update, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from service.domain.errors import InvalidArgument
from service.domain.lifecycle import GONE_STATES
from service.store import cursors
from service.store.models import (
    Account,
    AccountMove,
    Organization,
    TenantCluster,
    clusters_table,
)

_C = clusters_table.c


async def lock_target(session: AsyncSession, name: str) -> TenantCluster | None:
    """The target cluster's row, locked as placement locks it (NO KEY UPDATE)."""
    found: TenantCluster | None = await session.scalar(
        select(TenantCluster).where(TenantCluster.name == name).with_for_update(key_share=True)
    )
    return found


def _slot(name: str, delta: int) -> Update:
    return (
        update(clusters_table)
        .where(_C.name == name)
        .values(placed_accounts=_C.placed_accounts + delta)
    )


async def reserve_slot(session: AsyncSession, name: str) -> None:
    """Count the moving account on the target too until the move ends (placement sees it)."""
    await session.execute(_slot(name, 1))


async def release_slot_async(session: AsyncSession, name: str) -> None:
    await session.execute(_slot(name, -1))


def release_slot(session: Session, name: str) -> None:
    """The move ended: failed (the account stays where it was), or succeeded (the account's own
    row now counts it on the target, through migration 0011's trigger)."""
    session.execute(_slot(name, -1))


def done_step(session: Session, operation_id: uuid.UUID) -> str | None:
    step: str | None = session.scalar(
        select(AccountMove.done_step).where(AccountMove.operation_id == operation_id)
    )
    return step


def note_done(session: Session, operation_id: uuid.UUID, step: str) -> None:
    statement = insert(AccountMove).values(operation_id=operation_id, done_step=step)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[AccountMove.operation_id], set_={"done_step": step}
        )
    )


def forget_move(session: Session, operation_id: uuid.UUID) -> None:
    session.execute(delete(AccountMove).where(AccountMove.operation_id == operation_id))


def switch_cluster(session: Session, account_id: int, cluster: str, url: str) -> None:
    """The cut-over, once the target let the login in: the account's row names the target and
    its URLs (the trigger moves its count), and the slot held since the accept is released."""
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(cluster=cluster, account_url=url, account_locator_url=url)
    )
    session.execute(_slot(cluster, -1))


async def fleet_account(session: AsyncSession, public_id: uuid.UUID) -> Account | None:
    """The account with this id, whichever organization holds it, locked (a fleet move)."""
    found: Account | None = await session.scalar(
        select(Account).where(Account.public_id == public_id).with_for_update()
    )
    return found


ACCOUNTS_PAGE = 1000  # the most accounts a page of `accounts_on` holds, and the default
_ACCOUNT_ID = re.compile(r"[0-9]{1,18}")  # a BIGINT's range: a longer one was not ours
# A cluster's account: its public id, organization, name and state.
ClusterAccountRow = tuple[uuid.UUID, str, str, str]


def _account_cursor(account_id: int) -> str:
    return cursors.wrap(str(account_id))


def _after_account(cursor: str) -> int:
    """The internal id a cursor of `accounts_on` holds."""
    try:
        position = cursors.unwrap(cursor)
    except ValueError:
        position = ""
    if not _ACCOUNT_ID.fullmatch(position):
        raise InvalidArgument("cursor is not one this service handed out")
    return int(position)


async def accounts_on(
    session: AsyncSession, cluster: str, *, limit: int, cursor: str | None
) -> tuple[list[ClusterAccountRow], str | None]:
    """The accounts the cluster holds (counted in its `placed_accounts`), of every organization:
    id, organization, name, state, oldest first; at most `limit` of them after `cursor`, and the
    cursor of the next page or None."""
    conditions = [Account.cluster == cluster, Account.state.not_in(GONE_STATES)]
    if cursor is not None:
        conditions.append(Account.id > _after_account(cursor))
    rows = (
        await session.execute(
            select(Account.id, Account.public_id, Organization.name, Account.name, Account.state)
            .join(Organization, Organization.id == Account.organization_id)
            .where(*conditions)
            .order_by(Account.id)
            .limit(limit + 1)
        )
    ).all()
    following = _account_cursor(rows[limit - 1][0]) if len(rows) > limit else None
    found = [(uuid.UUID(str(row[1])), row[2], row[3], str(row[4])) for row in rows[:limit]]
    return found, following
