"""The live overview's content: the queue report plus what the console adds (sparkline samples,
workers that went quiet, operations per minute), as one checked shape."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from service.adapters.broker import WORKER_HEARTBEAT_PREFIX
from service.adapters.queue_report import queue_report
from service.domain.lifecycle import OperationKind, OperationState
from service.store.operation_reads import MAX_LIMIT, OperationFilter, list_operations
from service.web.console.memory import (
    HEARTBEAT_EXPIRES_SECONDS,
    SPARKLINE_WINDOW,
    QueueHistory,
    WorkerRoster,
    WorkerStatus,
)
from service.web.queue_view import (
    ClusterHealth,
    ClusterTotals,
    Count,
    LimitReached,
    NextPurge,
    PurgeBacklog,
    QueueDepth,
    StuckOperation,
)
from service.web.wire import TimestampText, ViewPart

Seconds = Annotated[float, Field(ge=0)]


class Sample(ViewPart):
    at: TimestampText
    ready: Count
    unacked: Count
    oldest_waiting_seconds: Seconds | None


class QueueLine(QueueDepth):
    samples: list[Sample] = Field(description="This process's samples of the last 15 minutes.")


class WorkerLine(ViewPart):
    id: str = Field(description="`name:pid`: two workers on one host share a name.")
    name: str | None
    active: Count | None
    processed: Count | None
    last_heartbeat: TimestampText | None
    age_seconds: Seconds | None
    status: WorkerStatus = Field(
        description="`silent` once past the heartbeat's expiry or gone; `late` after two missed "
        "heartbeats."
    )


class MinuteCount(ViewPart):
    minute: TimestampText
    kind: OperationKind
    state: OperationState
    count: Count


class Overview(ViewPart):
    """What the console's overview shows, pushed live."""

    queues: list[QueueLine]
    workers: list[WorkerLine]
    heartbeat_expires_seconds: Count
    operations_per_minute: list[MinuteCount] = Field(
        description="Your organization's operations created in the last 15 minutes, by minute."
    )
    operations_capped: bool = Field(
        description=f"True when more than {MAX_LIMIT} operations were created in the window: "
        "the chart shows the newest ones."
    )
    operations_last_hour: dict[str, dict[str, Count]]
    purge_backlog: PurgeBacklog
    next_purges: list[NextPurge]
    stuck: list[StuckOperation]
    clusters: list[ClusterTotals] = Field(description="Usage totals per tenant cluster.")
    fleet: list[ClusterHealth] = Field(
        default_factory=list, description="Health and placements per registered tenant cluster."
    )
    limits_reached: list[LimitReached] = Field(
        description="Your accounts over or near a limit (over ones first)."
    )
    generated_on: TimestampText


@dataclass
class ConsoleMemory:
    """One per API process: the console's view of the past."""

    history: QueueHistory
    roster: WorkerRoster


async def worker_heartbeats(redis: Redis) -> dict[str, dict[str, Any]]:
    """Heartbeat payloads by `name:pid` (the key's suffix)."""
    keys = [key async for key in redis.scan_iter(match=WORKER_HEARTBEAT_PREFIX + "*", count=100)]
    values = await redis.mget(keys) if keys else []
    return {
        key.decode().removeprefix(WORKER_HEARTBEAT_PREFIX): json.loads(value)
        for key, value in zip(keys, values, strict=True)
        if value is not None
    }


def _workers(memory: ConsoleMemory, now: datetime, beating: dict[str, dict[str, Any]]) -> list[Any]:
    lines = []
    for seen, status in memory.roster.update(now, beating):
        last = seen.last_heartbeat
        lines.append(
            {
                "id": seen.id,
                "name": seen.heartbeat.get("name"),
                "active": seen.heartbeat.get("active"),
                "processed": seen.heartbeat.get("processed"),
                "last_heartbeat": last.isoformat() if last else None,
                "age_seconds": max(0.0, (now - last).total_seconds()) if last else None,
                "status": status,
            }
        )
    return lines


async def _per_minute(
    session: AsyncSession, organization_id: int, now: datetime
) -> tuple[list[dict[str, Any]], bool]:
    rows, following = await list_operations(
        session,
        organization_id,
        OperationFilter(since=now - SPARKLINE_WINDOW),
        limit=MAX_LIMIT,
        cursor=None,
    )
    operations = [row.operation for row in rows]
    counts = Counter(
        (operation.created_at.replace(second=0, microsecond=0), operation.kind, operation.state)
        for operation in operations
    )
    minutes = [
        {"minute": minute.isoformat(), "kind": kind, "state": state, "count": count}
        for (minute, kind, state), count in sorted(counts.items())
    ]
    return minutes, following is not None


async def gather_overview(
    session: AsyncSession,
    redis: Redis,
    memory: ConsoleMemory,
    *,
    queue: str,
    organization_id: int,
    stuck_after: timedelta,
) -> dict[str, Any]:
    """The overview for one organization, checked against `Overview` and rendered."""
    report = await queue_report(
        session, redis, queue=queue, organization_id=organization_id, stuck_after=stuck_after
    )
    now = datetime.now(UTC)
    memory.history.record(now, report["queues"])
    for line in report["queues"]:
        line["samples"] = [
            {
                "at": sample.at.isoformat(),
                "ready": sample.ready,
                "unacked": sample.unacked,
                "oldest_waiting_seconds": sample.oldest_waiting_seconds,
            }
            for sample in memory.history.samples(line["name"])
        ]
    report["workers"] = _workers(memory, now, await worker_heartbeats(redis))
    report["heartbeat_expires_seconds"] = HEARTBEAT_EXPIRES_SECONDS
    minutes, capped = await _per_minute(session, organization_id, now)
    report["operations_per_minute"], report["operations_capped"] = minutes, capped
    rendered: dict[str, Any] = Overview.model_validate(report).model_dump(mode="json")
    return rendered
