"""The `provisioner queues` screen: one `GET /api/v2/queues` report as rich tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from service.client.render import duration, moment
from service.client.tables import Column, FittedTable, Heading, table_of
from service.domain.lifecycle import OperationState
from service.domain.usage import format_bytes

_STATES = [member.value for member in OperationState]


def _seconds_between(earlier: str | None, later: str | None) -> float | None:
    """Ages are taken against the report's own clock, so the client's clock does not matter."""
    if not earlier or not later:
        return None
    try:
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
    except ValueError:
        return None


def _ago(since: str | None, now: str | None) -> str:
    age = _seconds_between(since, now)
    return "-" if age is None else f"{duration(max(age, 0.0))} ago"


def queues_table(report: dict[str, Any]) -> FittedTable:
    rows = FittedTable("NAME", "READY", "UNACKED", "OLDEST WAITING", title="Queues")
    for queue in report.get("queues", []):
        rows.add_row(
            queue["name"],
            str(queue["ready"]),
            str(queue["unacked"]),
            duration(queue.get("oldest_waiting_seconds")),
        )
    return rows


def _aged_rows(
    items: list[dict[str, Any]],
    now: str | None,
    headings: tuple[str | Heading, ...],
    cells: Callable[[dict[str, Any]], tuple[str, ...]],
    *,
    since: str,
    title: str,
) -> FittedTable:
    """One row per item; the last column is how long ago the item's `since` moment was."""
    rows = FittedTable(*headings, title=title)
    for item in items:
        rows.add_row(*cells(item), _ago(item.get(since), now))
    return rows


def workers_table(report: dict[str, Any]) -> FittedTable | Text:
    if not report.get("workers"):
        return Text("No worker online.", style="bold red")
    headings = ("NAME", Heading("ACTIVE", drop=1), Heading("PROCESSED", drop=2), "LAST HEARTBEAT")
    return _aged_rows(
        report["workers"],
        report.get("generated_on"),
        headings,
        lambda worker: (worker["name"], str(worker["active"]), str(worker["processed"])),
        since="last_heartbeat",
        title="Workers",
    )


def counts_table(report: dict[str, Any]) -> FittedTable:
    counts: dict[str, dict[str, int]] = report.get("operations_last_hour", {})
    extra = sorted({name for row in counts.values() for name in row} - set(_STATES))
    rows = FittedTable("KIND", *_STATES, *extra, title="Operations, last hour")
    for kind in sorted(counts):
        row = counts[kind]
        rows.add_row(kind, *(str(row.get(name, 0)) for name in (*_STATES, *extra)))
    return rows


def purges_table(report: dict[str, Any]) -> RenderableType:
    backlog = report.get("purge_backlog", {})
    oldest = backlog.get("oldest_due_since")
    summary = f"Purges: {backlog.get('due', 0)} due"
    if oldest:
        summary += f", the oldest since {moment(oldest)}"
    if not report.get("next_purges"):
        return Text(f"{summary}; none scheduled.", style="bold")
    rows = FittedTable("NEXT PURGE OF", "SCHEDULED FOR", "IN")
    now = report.get("generated_on")
    for purge in report.get("next_purges", []):
        left = _seconds_between(now, purge["scheduled_deletion_time"])
        rows.add_row(
            purge["account"],
            moment(purge["scheduled_deletion_time"]),
            "due" if left is None or left <= 0 else duration(left),
        )
    return Group(Text(summary, style="bold"), rows)


def stuck_table(report: dict[str, Any]) -> FittedTable | Text:
    if not report.get("stuck"):
        return Text("No stuck operations.", style="green")
    headings = ("ID", Heading("KIND", drop=1), Heading("ACCOUNT", shorten=True), "CLAIMED")
    return _aged_rows(
        report["stuck"],
        report.get("generated_on"),
        headings,
        lambda operation: (operation["id"], operation["kind"], operation["account"]),
        since="claimed_on",
        title="Stuck operations",
    )


def clusters_table(report: dict[str, Any]) -> FittedTable | Text:
    if not report.get("clusters"):
        return Text("Usage: not measured yet.", style="bold")
    now = report.get("generated_on")
    health = {item["name"]: item for item in report.get("fleet", [])}
    columns = (
        Column("CLUSTER", lambda cluster: cluster["name"]),
        Column("ACCOUNTS", lambda cluster: str(cluster["accounts"])),
        Column("STORAGE", lambda cluster: format_bytes(cluster["storage_bytes"])),
        Column("CONNECTIONS", lambda cluster: str(cluster["connections"])),
        Column("OVER (STORAGE/CONN)", lambda cluster: _per_limit(cluster["over_limit"])),
        Column(Heading("NEAR (STORAGE/CONN)", drop=1), lambda c: _per_limit(c["near_limit"])),
        Column(Heading("MEASURED", drop=2), lambda cluster: _ago(cluster.get("measured_on"), now)),
        Column(Heading("HEALTH", drop=3), lambda c: _health(health.get(c["name"]), now)),
    )
    return table_of(columns, report["clusters"], title="Tenant clusters")


def _per_limit(counts: dict[str, int]) -> str:
    return f"{counts.get('storage', 0)}/{counts.get('connections', 0)}"


def _health(cluster: dict[str, Any] | None, now: str | None) -> Text:
    """`up`, or `DOWN` with how long ago a worker last met an error there."""
    if cluster is None:
        return Text("-")
    if cluster.get("up", True):
        return Text("up", style="green")
    return Text(f"DOWN ({_ago(cluster.get('last_error_on'), now)})", style="bold red")


def limits_table(report: dict[str, Any]) -> FittedTable | Text:
    if not report.get("limits_reached"):
        return Text("No account over or near a limit.", style="green")
    return table_of(_LIMIT_COLUMNS, report["limits_reached"], title="Accounts over or near a limit")


_LIMIT_COLUMNS = (
    Column(Heading("ACCOUNT", shorten=True), lambda item: item["account"]),
    Column("STORAGE", lambda item: format_bytes(item["storage_bytes"])),
    Column("CONNECTIONS", lambda item: str(item["connections"])),
    Column("OVER", lambda item: item.get("over_limit") or "-"),
    Column(Heading("NEAR", drop=1), lambda item: ", ".join(item.get("near_limit", [])) or "-"),
)


def screen(report: dict[str, Any], header: str, problem: str | None = None) -> RenderableType:
    """The whole screen; `problem` (e.g. the API unreachable) is shown above the last report."""
    parts: list[RenderableType] = [
        Text.assemble((header, "bold"), f"   report of {moment(report.get('generated_on'))}")
    ]
    if problem:
        parts.append(Text(problem, style="bold red"))
    parts += [
        queues_table(report),
        workers_table(report),
        counts_table(report),
        purges_table(report),
        stuck_table(report),
        clusters_table(report),
        limits_table(report),
    ]
    return Group(*parts)
