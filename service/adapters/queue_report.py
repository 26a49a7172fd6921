"""What operators watch: queue depth, unacked messages, workers, stuck work and purge backlog.

Only aggregate numbers are global; anything naming an account is the caller's organization's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.adapters.broker import UNACKED_KEY, WORKER_HEARTBEAT_PREFIX, purge_queue
from service.domain.lifecycle import AccountState, OperationKind, OperationState
from service.store.models import Account, Operation

NEXT_PURGES = 10
STUCK_LIMIT = 50


async def broker_numbers(redis: Redis, queue: str) -> dict[str, int]:
    return {"ready": int(await redis.llen(queue)), "unacked": int(await redis.hlen(UNACKED_KEY))}


async def workers_online(redis: Redis) -> list[dict[str, Any]]:
    keys = [key async for key in redis.scan_iter(match=WORKER_HEARTBEAT_PREFIX + "*", count=100)]
    values = await redis.mget(keys) if keys else []
    workers = [json.loads(value) for value in values if value is not None]
    return sorted(workers, key=lambda worker: str(worker.get("name")))


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


async def purge_backlog(session: AsyncSession, now: datetime) -> dict[str, Any]:
    due, oldest = (
        await session.execute(
            select(func.count(), func.min(Account.scheduled_deletion_time)).where(
                Account.state == AccountState.DROPPED, Account.scheduled_deletion_time <= now
            )
        )
    ).one()
    return {"due": int(due), "oldest_due_since": oldest.isoformat() if oldest else None}


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


async def queue_report(
    session: AsyncSession,
    redis: Redis,
    *,
    queue: str,
    organization_id: int,
    stuck_after: timedelta,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "queues": [
            {
                "name": queue,
                **await broker_numbers(redis, queue),
                "oldest_waiting_seconds": await oldest_queued_age(session, now, purges=False),
            },
            {
                "name": purge_queue(queue),
                **await broker_numbers(redis, purge_queue(queue)),
                "oldest_waiting_seconds": await oldest_queued_age(session, now, purges=True),
            },
        ],
        "workers": await workers_online(redis),
        "operations_last_hour": await operation_counts(
            session, organization_id, now - timedelta(hours=1)
        ),
        "purge_backlog": await purge_backlog(session, now),
        "next_purges": await next_purges(session, organization_id),
        "stuck": await stuck_operations(session, organization_id, now - stuck_after),
        "generated_on": now.isoformat(),
    }
