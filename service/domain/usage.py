"""Measured usage against a plan: the over-limit flag, its reason and its transitions; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from service.domain.plans import LimitKind, PlanLimits

# The reason an account's logins were suspended by the usage scan (shown as `suspended_reason`).
STORAGE_LIMIT_REASON = "storage_limit"
_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
_KIB = 1024


class StorageLimitAction(StrEnum):
    FLAG = "flag"
    SUSPEND = "suspend"


def format_bytes(size: int) -> str:
    """`1.3 GiB`, `1 GiB`, `512 bytes`: one decimal at most, trailing `.0` dropped."""
    value = float(size)
    for unit in _UNITS:
        if value < _KIB or unit == _UNITS[-1]:
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}" if unit != "bytes" else f"{size} bytes"
        value /= _KIB
    raise AssertionError("unreachable")  # pragma: no cover


def storage_reason(edition: str, limits: PlanLimits, storage_bytes: int) -> str | None:
    """Why the usage is over the plan's storage limit, or None when it is not."""
    if LimitKind.STORAGE not in limits.exceeded(storage_bytes, 0):
        return None
    return (
        f"storage {format_bytes(storage_bytes)} is over the {edition} plan's "
        f"{format_bytes(limits.storage_bytes)}"
    )


@dataclass(frozen=True)
class Flag:
    """An account's over-limit flag as the last scan left it."""

    reason: str | None = None
    since: datetime | None = None
    suspend_due: bool = False


@dataclass(frozen=True)
class Assessment:
    """One account's measurement judged against its plan."""

    flag: Flag
    over: list[LimitKind] = field(default_factory=list)
    near: list[LimitKind] = field(default_factory=list)
    went_over: bool = False  # the transition into over the storage limit, this scan
    came_back: bool = False  # the transition back under it, this scan


def assess(
    edition: str,
    limits: PlanLimits,
    storage_bytes: int,
    connections: int,
    previous: Flag,
    *,
    now: datetime,
    action: StorageLimitAction,
) -> Assessment:
    """The new flag, edge-triggered: only the scan that sees the usage cross the storage limit
    sets `went_over` (and, under `suspend`, makes a suspension due); later scans keep the flag
    with its first `since`, and an admin's re-enable meanwhile is left alone."""
    reason = storage_reason(edition, limits, storage_bytes)
    over = limits.exceeded(storage_bytes, connections)
    near = limits.near(storage_bytes, connections)
    if reason is None:
        return Assessment(Flag(), over, near, came_back=previous.reason is not None)
    if previous.reason is not None:
        kept = Flag(reason, previous.since or now, previous.suspend_due)
        return Assessment(kept, over, near)
    suspend = action == StorageLimitAction.SUSPEND
    return Assessment(Flag(reason, now, suspend), over, near, went_over=True)


@dataclass(frozen=True)
class UsageSeen:
    """An account's usage as the last scan recorded it, for its readers."""

    storage_bytes: int
    connections: int
    measured_on: datetime
    over_limit: str | None = None
    over_limit_since: datetime | None = None
    suspended_reason: str | None = None
