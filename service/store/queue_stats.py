"""What the operations and accounts tables say about the backlog: oldest queued work, due purges,
stuck operations, counts and durations of finished operations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import extract, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.lifecycle import (
    TERMINAL_OPERATION_STATES,
    AccountState,
    OperationKind,
    OperationState,
)
from service.store.models import Account, Operation

NEXT_PURGES = 10
STUCK_LIMIT = 50


async def oldest_queued_age(
    session: AsyncSession, now: datetime, *, purges: bool | None = None
) -> float | None:
    """Age of the oldest queued operation: of any kind, or only purges / all but purges."""
    query = select(func.min(Operation.created_at)).where(Operation.state == OperationState.QUEUED)
    if purges is not None:
        is_purge = Operation.kind == OperationKind.PURGE
        query = query.where(is_purge if purges else ~is_purge)
    oldest = await session.scalar(query)
    return None if oldest is None else max(0.0, (now - oldest).total_seconds())


async def due_purges(session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """How many dropped accounts are past their deletion time, and the oldest such time."""
    due, oldest = (
        await session.execute(
            select(func.count(), func.min(Account.scheduled_deletion_time)).where(
                Account.state == AccountState.DROPPED, Account.scheduled_deletion_time <= now
            )
        )
    ).one()
    return int(due), oldest


async def finished_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Operations that reached a terminal state, by (kind, state)."""
    rows = await session.execute(
        select(Operation.kind, Operation.state, func.count())
        .where(Operation.state.in_(TERMINAL_OPERATION_STATES))
        .group_by(Operation.kind, Operation.state)
    )
    return {(kind.value, state.value): int(n) for kind, state, n in rows}


async def finished_durations(
    session: AsyncSession, bounds: tuple[float, ...]
) -> dict[str, tuple[list[int], float, int]]:
    """By kind, of the finished operations: how many took at most each of `bounds` seconds
    from acceptance to end (cumulative), the total seconds, and the count."""
    elapsed = extract("epoch", Operation.finished_at - Operation.created_at)
    bucket_columns = [func.count().filter(elapsed <= literal(bound)) for bound in bounds]
    rows = await session.execute(
        select(Operation.kind, func.count(), func.coalesce(func.sum(elapsed), 0), *bucket_columns)
        .where(Operation.finished_at.is_not(None))
        .group_by(Operation.kind)
    )
    durations: dict[str, tuple[list[int], float, int]] = {}
    for row in rows:
        kind, count, total = row[0], row[1], row[2]
        buckets = [int(row[3 + index]) for index in range(len(bounds))]
        durations[kind.value] = (buckets, float(total), int(count))
    return durations


async def operation_counts(
    session: AsyncSession, organization_id: int, since: datetime
) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(Operation.kind, Operation.state, func.count())
        .where(Operation.organization_id == organization_id, Operation.created_at >= since)
        .group_by(Operation.kind, Operation.state)
    )
    counts: dict[str, dict[str, int]] = {}
    for kind, state, count in rows:
        counts.setdefault(kind.value, {})[state.value] = int(count)
    return counts


async def next_purges(session: AsyncSession, organization_id: int) -> list[dict[str, str]]:
    rows = await session.execute(
        select(Account.name, Account.scheduled_deletion_time)
        .where(Account.organization_id == organization_id, Account.state == AccountState.DROPPED)
        .order_by(Account.scheduled_deletion_time)
        .limit(NEXT_PURGES)
    )
    return [
        {"account": name, "scheduled_deletion_time": moment.isoformat()}
        for name, moment in rows
        if moment is not None
    ]


async def stuck_operations(
    session: AsyncSession, organization_id: int, older_than: datetime
) -> list[dict[str, str]]:
    """Running operations claimed longer ago than the stranded threshold."""
    rows = await session.execute(
        select(Operation.id, Operation.kind, Account.name, Operation.claimed_at)
        .join(Account, Account.id == Operation.account_id)
        .where(
            Operation.organization_id == organization_id,
            Operation.state == OperationState.RUNNING,
            Operation.claimed_at < older_than,
        )
        .order_by(Operation.claimed_at)
        .limit(STUCK_LIMIT)
    )
    return [
        {"id": str(op_id), "kind": kind.value, "account": name, "claimed_on": claimed.isoformat()}
        for op_id, kind, name, claimed in rows
        if claimed is not None
    ]
