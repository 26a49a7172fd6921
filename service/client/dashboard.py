"""The `provisioner queues` screen: one `GET /api/v2/queues` report as rich tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from service.client.render import duration, moment
from service.client.tables import FittedTable, Heading
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
    rows = FittedTable(
        "CLUSTER",
        "ACCOUNTS",
        "STORAGE",
        "CONNECTIONS",
        "OVER (STORAGE/CONN)",
        Heading("NEAR (STORAGE/CONN)", drop=1),
        Heading("MEASURED", drop=2),
        Heading("HEALTH", drop=3),
        title="Tenant clusters",
    )
    now = report.get("generated_on")
    health = {item["name"]: item for item in report.get("fleet", [])}
    for cluster in report["clusters"]:
        over, near = cluster["over_limit"], cluster["near_limit"]
        rows.add_row(
            cluster["name"],
            str(cluster["accounts"]),
            format_bytes(cluster["storage_bytes"]),
            str(cluster["connections"]),
            f"{over.get('storage', 0)}/{over.get('connections', 0)}",
            f"{near.get('storage', 0)}/{near.get('connections', 0)}",
            _ago(cluster.get("measured_on"), now),
            _health(health.get(cluster["name"]), now),
        )
    return rows


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
    rows = FittedTable(
        Heading("ACCOUNT", shorten=True),
        "STORAGE",
        "CONNECTIONS",
        "OVER",
        Heading("NEAR", drop=1),
        title="Accounts over or near a limit",
    )
    for item in report["limits_reached"]:
        rows.add_row(
            item["account"],
            format_bytes(item["storage_bytes"]),
            str(item["connections"]),
            item.get("over_limit") or "-",
            ", ".join(item.get("near_limit", [])) or "-",
        )
    return rows


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
