"""Reads of the usage the scan recorded, for the API: one account's (at accept), the clusters'
totals, the accounts over or near a limit; and the suspension reason an update clears."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.lifecycle import LIVE_STATES
from service.store.models import Account, AccountUsage, ClusterUsage

FLAGGED_LIMIT = 20


@dataclass(frozen=True)
class Suspension:
    """What an update's accept needs of the account's usage row."""

    storage_bytes: int
    suspended_reason: str | None


async def suspension_of(session: AsyncSession, account_id: int) -> Suspension | None:
    row = (
        await session.execute(
            select(AccountUsage.storage_bytes, AccountUsage.suspended_reason).where(
                AccountUsage.account_id == account_id
            )
        )
    ).one_or_none()
    return None if row is None else Suspension(int(row[0]), row[1])


async def clear_suspended_reason(session: AsyncSession, account_id: int) -> None:
    """An update that sets `enabled` decides it from now on: the scan's reason no longer holds."""
    await session.execute(
        update(AccountUsage)
        .where(AccountUsage.account_id == account_id, AccountUsage.suspended_reason.is_not(None))
        .values(suspended_reason=None)
    )


async def cluster_totals(session: AsyncSession) -> list[ClusterUsage]:
    """Every tenant cluster's totals from its last scan (one small row each)."""
    return list((await session.scalars(select(ClusterUsage).order_by(ClusterUsage.cluster))).all())


@dataclass(frozen=True)
class Flagged:
    account: str
    cluster: str
    storage_bytes: int
    connections: int
    over_limit: str | None
    near_limit: str | None
    measured_on: datetime


async def flagged_accounts(
    session: AsyncSession, organization_id: int, *, limit: int = FLAGGED_LIMIT
) -> list[Flagged]:
    """The organization's live accounts over or near a limit, over ones first, biggest first
    (the partial index on flagged rows keeps this small)."""
    rows = await session.execute(
        select(
            Account.name,
            AccountUsage.cluster,
            AccountUsage.storage_bytes,
            AccountUsage.connections,
            AccountUsage.over_limit,
            AccountUsage.near_limit,
            AccountUsage.measured_on,
        )
        .join(Account, Account.id == AccountUsage.account_id)
        .where(
            or_(AccountUsage.over_limit.is_not(None), AccountUsage.near_limit.is_not(None)),
            Account.organization_id == organization_id,
            Account.state.in_(LIVE_STATES),
        )
        .order_by(AccountUsage.over_limit.is_(None), AccountUsage.storage_bytes.desc())
        .limit(limit)
    )
    return [Flagged(*row) for row in rows]
