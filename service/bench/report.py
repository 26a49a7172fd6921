"""Ratios to the same-run baselines, the issue's targets, and the printed table."""

from __future__ import annotations

from typing import Any

from service.bench.figures import Figures


def _ratio(ours: float, baseline: float) -> float:
    return round(ours / baseline, 3) if baseline else 0.0


def add_ratios_and_targets(figures: Figures) -> None:
    base, ours = figures.baselines, figures.service
    hello = base["hello_world"]["per_second"]
    noop_rate = base["celery_noop_per_second"]
    round_trip = base["celery_round_trip"]["p50_ms"]
    workers = ours["worker_operations_per_second"]
    two_workers = workers.get("2", 0.0)
    idle_p99 = ours["reads_idle"]["p99_ms"]
    figures.ratios = {
        "accept_vs_hello": _ratio(ours["accept"]["per_second"], hello),
        "accept_vs_insert_push": _ratio(
            ours["accept"]["per_second"], base["insert_push"]["per_second"]
        ),
        "poll_vs_hello": _ratio(ours["poll"]["per_second"], hello),
        "accept_scale_out": _ratio(
            ours["accept_scaled_out"]["per_second"], ours["accept"]["per_second"]
        ),
        "e2e_p50_vs_celery_round_trip": _ratio(ours["e2e_idle"]["p50_ms"], round_trip),
        "workers_vs_celery_noop": _ratio(two_workers, noop_rate),
        "read_p99_purge_vs_idle": _ratio(ours["reads_during_purge"]["p99_ms"], idle_p99),
    }
    r = figures.ratios
    figures.targets = {
        "accept req/s >= 25% of hello-world": _target(r["accept_vs_hello"], 0.25, at_least=True),
        "accept p99 <= 50 ms": _target(ours["accept"]["p99_ms"], 50.0, at_least=False),
        "poll req/s >= 50% of hello-world": _target(r["poll_vs_hello"], 0.50, at_least=True),
        "e2e create p50 <= 3x Celery round trip": _target(
            r["e2e_p50_vs_celery_round_trip"], 3.0, at_least=False
        ),
        "workers >= 50% of Celery no-op tasks/s": _target(
            r["workers_vs_celery_noop"], 0.50, at_least=True
        ),
        f"purge of {ours['purge']['accounts']} due accounts <= 120 s": _target(
            ours["purge"]["seconds"] if ours["purge"]["finished"] else float("inf"),
            120.0,
            at_least=False,
        ),
        "read p99 during purge <= 2x idle": _target(
            r["read_p99_purge_vs_idle"], 2.0, at_least=False
        ),
        "listing with like p50 <= 20 ms": _target(
            ours["listing_like"]["p50_ms"], 20.0, at_least=False
        ),
    }


def _target(value: float, limit: float, *, at_least: bool) -> dict[str, Any]:
    met = value >= limit if at_least else value <= limit
    return {"value": value, "limit": limit, "met": met}


def render_table(figures: Figures) -> str:
    """A Markdown table: the README carries this very output."""
    rows = _baseline_rows(figures.baselines) + _api_rows(figures) + _data_rows(figures)
    lines = ["| Measure | Result | Ratio to same-run baseline |", "|---|---|---|"]
    lines += [f"| {name} | {result} | {ratio} |" for name, result, ratio in rows]
    lines += ["", "| Target | Value | Met |", "|---|---|---|"]
    lines += [
        f"| {name} | {t['value']} (limit {t['limit']}) | {'yes' if t['met'] else '**no**'} |"
        for name, t in figures.targets.items()
    ]
    return "\n".join(lines + _profile_lines(figures.service))


Row = tuple[str, str, str]


def _baseline_rows(base: dict[str, Any]) -> list[Row]:
    return [
        ("Baseline: aiohttp hello-world JSON", _load(base["hello_world"]), ""),
        ("Baseline: aiohttp + INSERT + Redis LPUSH", _load(base["insert_push"]), ""),
        (
            "Baseline: bare Celery no-op round trip",
            f"p50 {base['celery_round_trip']['p50_ms']} ms, "
            f"p99 {base['celery_round_trip']['p99_ms']} ms",
            "",
        ),
        ("Baseline: bare Celery no-op, 2 processes", f"{base['celery_noop_per_second']:.0f}/s", ""),
    ]


def _api_rows(figures: Figures) -> list[Row]:
    ours, r = figures.service, figures.ratios
    conns = figures.options["connections"]
    return [
        (
            f"Accept `POST /api/v2/accounts` ({conns} conns)",
            _load(ours["accept"]),
            f"{r['accept_vs_hello']:.0%} of hello-world, "
            f"{r['accept_vs_insert_push']:.0%} of INSERT+LPUSH",
        ),
        (
            f"Accept, `serve --workers {ours['accept_scaled_out']['processes']}` ({conns} conns)",
            _load(ours["accept_scaled_out"]),
            f"{r['accept_scale_out']:.2f}x one API process",
        ),
        (
            f"Poll `GET /api/v2/results/{{handle}}` ({conns} conns)",
            _load(ours["poll"]),
            f"{r['poll_vs_hello']:.0%} of hello-world",
        ),
        (
            "End-to-end create, one at a time",
            _latency(ours["e2e_idle"]),
            f"p50 {r['e2e_p50_vs_celery_round_trip']:.1f}x Celery round trip",
        ),
        (
            "End-to-end create under a steady accept load "
            f"({ours['e2e_under_load']['accept_load']['per_second']:.0f}/s)",
            _latency(ours["e2e_under_load"]),
            "",
        ),
    ]


def _data_rows(figures: Figures) -> list[Row]:
    """Workers draining, purging and listing many accounts, and memory."""
    ours, r = figures.service, figures.ratios
    workers = ours["worker_operations_per_second"]
    scaling = ", ".join(f"{n}: {rate:.0f}/s" for n, rate in workers.items())
    rss = ours["peak_rss_mib"]
    return [
        (
            "Worker throughput by worker processes",
            scaling,
            f"2 processes: {r['workers_vs_celery_noop']:.0%} of Celery no-op",
        ),
        (
            f"Purge {ours['purge']['accounts']} accounts past their grace period",
            _purge(ours["purge"]),
            "",
        ),
        (
            "Reads (`GET` one account) idle / during the purge",
            f"p99 {ours['reads_idle']['p99_ms']} ms / {ours['reads_during_purge']['p99_ms']} ms",
            f"{r['read_p99_purge_vs_idle']:.1f}x idle",
        ),
        (
            f"List with `like` over {figures.options['accounts']} accounts (4 conns)",
            _latency(ours["listing_like"]),
            "",
        ),
        (
            "Peak RSS",
            f"API {rss['api']} MiB, worker {rss['worker_main']} MiB "
            f"+ {rss['worker_pool_max']} MiB per pool process",
            "",
        ),
    ]


def _profile_lines(ours: dict[str, Any]) -> list[str]:
    """The profiled accept run's tables, when the run had one."""
    lines: list[str] = []
    components = ours.get("accept_profile_by_component")
    if components:
        lines += [
            "",
            "Accept path under cProfile — own time by library, idle waits left out:",
            "",
            "| Library | Share of busy time |",
            "|---|---|",
        ]
        lines += [f"| {row['component']} | {row['share']:.1%} |" for row in components]
    profile = ours.get("accept_profile")
    if profile:
        lines += [
            "",
            "Accept path under cProfile — own time by function, idle waits left out:",
            "",
            "| Function | Calls | Share of busy time |",
            "|---|---|---|",
        ]
        lines += [
            f"| `{row['function']}` | {row['calls']} | {row['share']:.1%} |" for row in profile
        ]
    return lines


def _purge(purge: dict[str, Any]) -> str:
    if purge["finished"]:
        return f"{purge['seconds']} s ({purge['accounts'] / purge['seconds']:.0f}/s)"
    return (
        f"unfinished: {purge['purged']} purged in {purge['seconds']} s "
        f"({purge['purged'] / purge['seconds']:.0f}/s), stopped at the timeout"
    )


def _load(result: dict[str, Any]) -> str:
    return f"{result['per_second']:.0f} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms"


def _latency(result: dict[str, Any]) -> str:
    return f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms"
