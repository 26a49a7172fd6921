"""`provisioner queues` renders every part of a `/api/v2/queues` report, ages by its clock."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console

from service.client.dashboard import screen

REPORT: dict[str, Any] = {
    "queues": [{"name": "provisioner", "ready": 7, "unacked": 2, "oldest_waiting_seconds": 95.0}],
    "workers": [
        {
            "name": "provisioner@host-a",
            "active": 1,
            "processed": 42,
            "last_heartbeat": "2026-11-23T12:00:57+00:00",
        }
    ],
    "operations_last_hour": {"create": {"succeeded": 5, "failed": 1}, "drop": {"queued": 2}},
    "purge_backlog": {"due": 3, "oldest_due_since": "2026-11-23T11:00:00+00:00"},
    "next_purges": [{"account": "OLD_ONE", "scheduled_deletion_time": "2026-11-25T14:00:00+00:00"}],
    "stuck": [
        {
            "id": "8b3e1ea7-8526-4452-9bb9-78f661cadc60",
            "kind": "purge",
            "account": "STUCK_ONE",
            "claimed_on": "2026-11-23T11:55:00+00:00",
        }
    ],
    "clusters": [
        {
            "name": "default",
            "accounts": 12,
            "storage_bytes": 3 << 30,
            "connections": 17,
            "over_limit": {"storage": 1, "connections": 0},
            "near_limit": {"storage": 2, "connections": 1},
            "measured_on": "2026-11-23T12:00:30+00:00",
        }
    ],
    "limits_reached": [
        {
            "account": "HOARDER",
            "cluster": "default",
            "storage_bytes": 1395864371,
            "connections": 2,
            "over_limit": "storage 1.3 GiB is over the STANDARD plan's 1 GiB",
            "near_limit": ["storage"],
            "measured_on": "2026-11-23T12:00:30+00:00",
        }
    ],
    "generated_on": "2026-11-23T12:01:00+00:00",
}


def rendered(report: dict[str, Any]) -> str:
    console = Console(record=True, width=160)
    console.print(screen(report, "header", problem=None))
    return console.export_text()


IDLE = {
    **REPORT,
    "workers": [],
    "next_purges": [],
    "stuck": [],
    "purge_backlog": {"due": 0, "oldest_due_since": None},
    "clusters": [],
    "limits_reached": [],
}


@pytest.mark.parametrize(
    ("report", "lines"),
    [
        pytest.param(
            REPORT,
            [
                "provisioner │ 7     │ 2       │ 1 min 35 s",
                "provisioner@host-a │ 1      │ 42        │ 3.0 s ago",
                "create │ 0      │ 0       │ 5         │ 1      │ 0",
                "drop   │ 2      │ 0       │ 0         │ 0      │ 0",
                "Purges: 3 due, the oldest since 2026-11-23 11:00:00",
                "OLD_ONE       │ 2026-11-25 14:00:00 │ 2 d 1 h",
                "8b3e1ea7-8526-4452-9bb9-78f661cadc60 │ purge │ STUCK_ONE │ 6 min 0 s ago",
                "default │ 12       │ 3 GiB   │ 17          │ 1/0",
                "HOARDER │ 1.3 GiB │ 2           │ storage 1.3 GiB is over the STANDARD plan's "
                "1 GiB",
            ],
            id="every part of the report",
        ),
        pytest.param(
            IDLE,
            [
                "No worker online.",
                "Purges: 0 due; none scheduled.",
                "No stuck operations.",
                "Usage: not measured yet.",
                "No account over or near a limit.",
            ],
            id="an idle system says so",
        ),
    ],
)
def test_the_screen_shows(report: dict[str, Any], lines: list[str]) -> None:
    text = rendered(report)
    for line in lines:
        assert line in text
