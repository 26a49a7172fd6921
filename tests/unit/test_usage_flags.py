"""The over-limit flag is edge-triggered: set (and a suspension made due) once on the way over,
kept while over, cleared on the way back; sizes read as people write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.domain.plans import LimitKind, PlanLimits
from service.domain.usage import Flag, StorageLimitAction, assess, format_bytes

GIB = 1 << 30
PLAN = PlanLimits(connections=10, storage_bytes=GIB)
NOW = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)


def test_sizes_are_written_in_binary_units() -> None:
    assert format_bytes(512) == "512 bytes"
    assert format_bytes(GIB) == "1 GiB"
    assert format_bytes(int(1.3 * GIB)) == "1.3 GiB"
    assert format_bytes(16 << 20) == "16 MiB"


def test_going_over_flags_once_and_makes_a_suspension_due_only_under_suspend() -> None:
    over = assess(
        "STANDARD", PLAN, int(1.3 * GIB), 2, Flag(), now=NOW, action=StorageLimitAction.SUSPEND
    )
    assert over.went_over
    assert over.flag == Flag("storage 1.3 GiB is over the STANDARD plan's 1 GiB", NOW, True)
    assert over.over == [LimitKind.STORAGE]
    flagged = assess(
        "STANDARD", PLAN, int(1.3 * GIB), 2, Flag(), now=NOW, action=StorageLimitAction.FLAG
    )
    assert flagged.went_over
    assert not flagged.flag.suspend_due


def test_staying_over_keeps_the_first_since_and_is_no_new_transition() -> None:
    before = Flag("storage 1.3 GiB is over the STANDARD plan's 1 GiB", NOW, False)
    later = NOW + timedelta(minutes=5)
    kept = assess(
        "STANDARD", PLAN, 2 * GIB, 0, before, now=later, action=StorageLimitAction.SUSPEND
    )
    assert not kept.went_over
    assert kept.flag.since == NOW
    assert kept.flag.reason == "storage 2 GiB is over the STANDARD plan's 1 GiB"
    assert not kept.flag.suspend_due  # an admin's re-enable is not undone


def test_coming_back_under_clears_the_flag() -> None:
    before = Flag("storage 1.3 GiB is over the STANDARD plan's 1 GiB", NOW, True)
    back = assess("STANDARD", PLAN, GIB, 9, before, now=NOW, action=StorageLimitAction.SUSPEND)
    assert back.came_back
    assert back.flag == Flag()
    assert back.near == [LimitKind.STORAGE, LimitKind.CONNECTIONS]  # at the limit is not over
    assert back.over == []
