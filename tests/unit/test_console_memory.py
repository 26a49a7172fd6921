"""What the console remembers: sparkline samples of 15 minutes, and workers that went quiet."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from service.web.console.memory import (
    HEARTBEAT_EXPIRES_SECONDS,
    HEARTBEAT_INTERVAL_SECONDS,
    QueueHistory,
    WorkerRoster,
    WorkerStatus,
)
from workers import heartbeat

START = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _queue(ready: int) -> dict[str, object]:
    return {"name": "q", "ready": ready, "unacked": 0, "oldest_waiting_seconds": None}


def _beat(at: datetime) -> dict[str, object]:
    return {
        "name": "provisioner@host",
        "active": 0,
        "processed": 1,
        "last_heartbeat": at.isoformat(),
    }


def test_the_console_knows_the_workers_heartbeat_interval_and_expiry() -> None:
    assert HEARTBEAT_EXPIRES_SECONDS == heartbeat.EXPIRES_SECONDS
    assert HEARTBEAT_INTERVAL_SECONDS == heartbeat.INTERVAL_SECONDS


def test_samples_are_taken_at_most_every_5_s_and_kept_15_minutes() -> None:
    history = QueueHistory()
    for second in range(0, 20 * 60, 1):
        history.record(START + timedelta(seconds=second), [_queue(second)])
    samples = history.samples("q")
    assert len(samples) == 15 * 60 // 5 + 1
    assert samples[-1].at - samples[0].at == timedelta(minutes=15)
    assert all(b.at - a.at == timedelta(seconds=5) for a, b in itertools.pairwise(samples))


def test_a_worker_is_live_then_late_then_silent_past_its_expiry() -> None:
    roster = WorkerRoster()
    beating = {"provisioner@host:7": _beat(START)}
    statuses = [roster.update(START + timedelta(seconds=age), beating)[0][1] for age in (1, 11, 21)]
    assert statuses == [WorkerStatus.LIVE, WorkerStatus.LATE, WorkerStatus.SILENT]


def test_a_worker_whose_heartbeat_is_gone_stays_listed_as_silent_then_is_forgotten() -> None:
    roster = WorkerRoster()
    roster.update(START, {"provisioner@host:7": _beat(START), "provisioner@host:8": _beat(START)})
    listed = roster.update(START + timedelta(seconds=1), {"provisioner@host:8": _beat(START)})
    assert [(seen.id, status) for seen, status in listed] == [
        ("provisioner@host:7", WorkerStatus.SILENT),
        ("provisioner@host:8", WorkerStatus.LIVE),
    ]
    later = START + timedelta(minutes=16)
    assert [seen.id for seen, _ in roster.update(later, {})] == []
