"""What operators watch: queue depth, unacked messages, workers, stuck work and purge backlog.

Only aggregate numbers are global; anything naming an account is the caller's organization's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from service.adapters.broker import UNACKED_KEY, WORKER_HEARTBEAT_PREFIX, purge_queue
from service.domain.clusters import is_up
from service.domain.plans import LimitKind
from service.store.clusters import list_clusters
from service.store.models import ClusterUsage, TenantCluster
from service.store.queue_stats import (
    due_purges,
    next_purges,
    oldest_queued_age,
    operation_counts,
    stuck_operations,
)
from service.store.usage_reads import Flagged, cluster_totals, flagged_accounts


async def broker_numbers(redis: Redis, queue: str) -> dict[str, int]:
    return {"ready": int(await redis.llen(queue)), "unacked": int(await redis.hlen(UNACKED_KEY))}


async def workers_online(redis: Redis) -> list[dict[str, Any]]:
    keys = [key async for key in redis.scan_iter(match=WORKER_HEARTBEAT_PREFIX + "*", count=100)]
    values = await redis.mget(keys) if keys else []
    workers = [json.loads(value) for value in values if value is not None]
    return sorted(workers, key=lambda worker: str(worker.get("name")))


def _backlog(due: int, oldest: datetime | None) -> dict[str, Any]:
    return {"due": due, "oldest_due_since": oldest.isoformat() if oldest else None}


def _by_limit(storage: int, connections: int) -> dict[str, int]:
    return {LimitKind.STORAGE.value: storage, LimitKind.CONNECTIONS.value: connections}


def _cluster(row: ClusterUsage) -> dict[str, Any]:
    return {
        "name": row.cluster,
        "accounts": row.accounts,
        "over_limit": _by_limit(row.over_storage, row.over_connections),
        "near_limit": _by_limit(row.near_storage, row.near_connections),
        **_measured(row),
    }


def _measured(row: ClusterUsage | Flagged) -> dict[str, Any]:
    """What the usage scan measured, of a cluster or of one account."""
    return {
        "storage_bytes": row.storage_bytes,
        "connections": row.connections,
        "measured_on": row.measured_on.isoformat(),
    }


def _health(cluster: TenantCluster) -> dict[str, Any]:
    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "name": cluster.name,
        "region": cluster.region,
        "state": cluster.state,
        "placed_accounts": cluster.placed_accounts,
        "capacity": cluster.capacity,
        "up": is_up(cluster.last_ok_on, cluster.last_error_on),
        "last_ok_on": moment(cluster.last_ok_on),
        "last_error": cluster.last_error,
        "last_error_on": moment(cluster.last_error_on),
    }


def _flagged(item: Flagged) -> dict[str, Any]:
    return {
        "account": item.account,
        "cluster": item.cluster,
        "over_limit": item.over_limit,
        "near_limit": item.near_limit.split(",") if item.near_limit else [],
        **_measured(item),
    }


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
        "purge_backlog": _backlog(*await due_purges(session, now)),
        "next_purges": await next_purges(session, organization_id),
        "stuck": await stuck_operations(session, organization_id, now - stuck_after),
        "clusters": [_cluster(row) for row in await cluster_totals(session)],
        "fleet": [_health(cluster) for cluster in await list_clusters(session)],
        "limits_reached": [
            _flagged(item) for item in await flagged_accounts(session, organization_id)
        ],
        "generated_on": now.isoformat(),
    }
