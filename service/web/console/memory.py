"""What the console remembers between pushes: queue samples for the sparklines, workers seen."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# The worker's heartbeat (workers/heartbeat.py, which the web layer may not import): written
# every INTERVAL seconds with an expiry of EXPIRES seconds. tests/unit/test_console_memory.py
# checks that the two stay equal.
HEARTBEAT_INTERVAL_SECONDS = 5.0
HEARTBEAT_EXPIRES_SECONDS = 20
SPARKLINE_WINDOW = timedelta(minutes=15)
SAMPLE_EVERY = timedelta(seconds=5)
# A worker silent this long is no longer listed at all.
FORGET_WORKER_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class QueueSample:
    at: datetime
    ready: int
    unacked: int
    oldest_waiting_seconds: float | None


class QueueHistory:
    """Per queue, the samples of the last 15 minutes: one every 5 s at most, taken when some
    console asks for the overview (nobody watching, no samples: the sparkline shows a gap)."""

    def __init__(self, window: timedelta = SPARKLINE_WINDOW, every: timedelta = SAMPLE_EVERY):
        self._window = window
        self._every = every
        self._samples: dict[str, deque[QueueSample]] = {}
        self._last: datetime | None = None

    def record(self, now: datetime, queues: list[dict[str, Any]]) -> None:
        if self._last is not None and now - self._last < self._every:
            return
        self._last = now
        for queue in queues:
            samples = self._samples.setdefault(queue["name"], deque())
            samples.append(
                QueueSample(now, queue["ready"], queue["unacked"], queue["oldest_waiting_seconds"])
            )
            while samples and now - samples[0].at > self._window:
                samples.popleft()

    def samples(self, queue: str) -> list[QueueSample]:
        return list(self._samples.get(queue, ()))


class WorkerStatus(StrEnum):
    LIVE = "live"
    LATE = "late"  # more than two heartbeats missed, not yet past the expiry
    SILENT = "silent"  # past the expiry, or its heartbeat key is gone


@dataclass(frozen=True)
class SeenWorker:
    id: str
    heartbeat: dict[str, Any]
    last_heartbeat: datetime | None


def worker_status(now: datetime, last: datetime | None, *, beating: bool) -> WorkerStatus:
    if not beating or last is None:
        return WorkerStatus.SILENT
    age = (now - last).total_seconds()
    if age > HEARTBEAT_EXPIRES_SECONDS:
        return WorkerStatus.SILENT
    return WorkerStatus.LATE if age > 2 * HEARTBEAT_INTERVAL_SECONDS else WorkerStatus.LIVE


def _parsed(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


class WorkerRoster:
    """Workers whose heartbeat this process has seen: one whose key vanished (stopped) or
    expired (killed) stays listed, as silent, until FORGET_WORKER_AFTER."""

    def __init__(self, forget_after: timedelta = FORGET_WORKER_AFTER) -> None:
        self._forget_after = forget_after
        self._seen: dict[str, SeenWorker] = {}

    def update(
        self, now: datetime, beating: dict[str, dict[str, Any]]
    ) -> list[tuple[SeenWorker, WorkerStatus]]:
        """`beating`: heartbeat payloads by key suffix (`name:pid`); all workers, with status."""
        for worker_id, heartbeat in beating.items():
            last = _parsed(heartbeat.get("last_heartbeat"))
            self._seen[worker_id] = SeenWorker(worker_id, heartbeat, last)
        for worker_id, seen in list(self._seen.items()):
            since = seen.last_heartbeat
            if worker_id not in beating and (since is None or now - since > self._forget_after):
                del self._seen[worker_id]
        return [
            (seen, worker_status(now, seen.last_heartbeat, beating=worker_id in beating))
            for worker_id, seen in sorted(self._seen.items())
        ]
