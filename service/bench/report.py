"""Ratios to the same-run baselines, the issue's targets, and the printed table."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from service.bench.figures import Figures

Figure = dict[str, Any]
# Each ratio: ours over the same-run baseline (`base`, `ours`); a ratio whose figures this run did
# not measure (`--only`) is left out, as are its targets and table rows.
RATIOS: dict[str, Callable[[Figure, Figure], float]] = {
    "accept_vs_hello": lambda b, o: _ratio(
        o["accept"]["per_second"], b["hello_world"]["per_second"]
    ),
    "accept_vs_insert_push": lambda b, o: _ratio(
        o["accept"]["per_second"], b["insert_push"]["per_second"]
    ),
    "poll_vs_hello": lambda b, o: _ratio(o["poll"]["per_second"], b["hello_world"]["per_second"]),
    "accept_scale_out": lambda b, o: _ratio(
        o["accept_scaled_out"]["per_second"], o["accept"]["per_second"]
    ),
    "e2e_p50_vs_celery_round_trip": lambda b, o: _ratio(
        o["e2e_idle"]["p50_ms"], b["celery_round_trip"]["p50_ms"]
    ),
    "workers_vs_celery_noop": lambda b, o: _ratio(
        o["worker_operations_per_second"].get("2", 0.0), b["celery_noop_per_second"]
    ),
    "read_p99_purge_vs_idle": lambda b, o: _ratio(
        o["reads_during_purge"]["p99_ms"], o["reads_idle"]["p99_ms"]
    ),
}
# Each target: its name, its value, the limit, and whether the value must be at least the limit.
TARGETS: list[tuple[Callable[[Figure], str], Callable[[Figure, Figure], float], float, bool]] = [
    (lambda o: "accept req/s >= 25% of hello-world", lambda r, o: r["accept_vs_hello"], 0.25, True),
    (lambda o: "accept p99 <= 50 ms", lambda r, o: o["accept"]["p99_ms"], 50.0, False),
    (lambda o: "poll req/s >= 50% of hello-world", lambda r, o: r["poll_vs_hello"], 0.50, True),
    (
        lambda o: "e2e create p50 <= 3x Celery round trip",
        lambda r, o: r["e2e_p50_vs_celery_round_trip"],
        3.0,
        False,
    ),
    (
        lambda o: "workers >= 50% of Celery no-op tasks/s",
        lambda r, o: r["workers_vs_celery_noop"],
        0.50,
        True,
    ),
    (
        lambda o: f"purge of {o['purge']['accounts']} due accounts <= 120 s",
        lambda r, o: o["purge"]["seconds"] if o["purge"]["finished"] else float("inf"),
        120.0,
        False,
    ),
    (
        lambda o: "read p99 during purge <= 2x idle",
        lambda r, o: r["read_p99_purge_vs_idle"],
        2.0,
        False,
    ),
    (
        lambda o: "listing with like p50 <= 20 ms",
        lambda r, o: o["listing_like"]["p50_ms"],
        20.0,
        False,
    ),
]


def _ratio(ours: float, baseline: float) -> float:
    return round(ours / baseline, 3) if baseline else 0.0


def add_ratios_and_targets(figures: Figures) -> None:
    base, ours = figures.baselines, figures.service
    figures.ratios = {}
    for ratio_name, ratio in RATIOS.items():
        with contextlib.suppress(KeyError):
            figures.ratios[ratio_name] = ratio(base, ours)
    figures.targets = {}
    for target_name, value, limit, at_least in TARGETS:
        with contextlib.suppress(KeyError):
            figures.targets[target_name(ours)] = _target(
                value(figures.ratios, ours), limit, at_least=at_least
            )


def _target(value: float, limit: float, *, at_least: bool) -> dict[str, Any]:
    met = value >= limit if at_least else value <= limit
    return {"value": value, "limit": limit, "met": met}


def render_table(figures: Figures) -> str:
    """A Markdown table: the README carries this very output."""
    rows = [
        row
        for rows_of in (_baseline_rows, _api_rows, _data_rows)
        for row in _measured_rows(rows_of(figures))
    ]
    lines = ["| Measure | Result | Ratio to same-run baseline |", "|---|---|---|"]
    lines += [f"| {name} | {result} | {ratio} |" for name, result, ratio in rows]
    lines += ["", "| Target | Value | Met |", "|---|---|---|"]
    lines += [
        f"| {name} | {t['value']} (limit {t['limit']}) | {'yes' if t['met'] else '**no**'} |"
        for name, t in figures.targets.items()
    ]
    return "\n".join(lines + _profile_lines(figures.service))


Row = tuple[str, str, str]
LazyRow = Callable[[], Row]


def _measured_rows(rows: list[LazyRow]) -> list[Row]:
    """The rows whose figures this run measured."""
    measured: list[Row] = []
    for row in rows:
        with contextlib.suppress(KeyError):
            measured.append(row())
    return measured


def _baseline_rows(figures: Figures) -> list[LazyRow]:
    base = figures.baselines
    return [
        lambda: ("Baseline: aiohttp hello-world JSON", _load(base["hello_world"]), ""),
        lambda: ("Baseline: aiohttp + INSERT + Redis LPUSH", _load(base["insert_push"]), ""),
        lambda: (
            "Baseline: bare Celery no-op round trip",
            f"p50 {base['celery_round_trip']['p50_ms']} ms, "
            f"p99 {base['celery_round_trip']['p99_ms']} ms",
            "",
        ),
        lambda: (
            "Baseline: bare Celery no-op, 2 processes",
            f"{base['celery_noop_per_second']:.0f}/s",
            "",
        ),
    ]


def _api_rows(figures: Figures) -> list[LazyRow]:
    ours, r = figures.service, figures.ratios
    conns = figures.options["connections"]
    return [
        lambda: (
            f"Accept `POST /api/v2/accounts` ({conns} conns)",
            _load(ours["accept"]),
            f"{r['accept_vs_hello']:.0%} of hello-world, "
            f"{r['accept_vs_insert_push']:.0%} of INSERT+LPUSH",
        ),
        lambda: (
            f"Accept, `serve --workers {ours['accept_scaled_out']['processes']}` ({conns} conns)",
            _load(ours["accept_scaled_out"]),
            f"{r['accept_scale_out']:.2f}x one API process",
        ),
        lambda: (
            f"Poll `GET /api/v2/results/{{handle}}` ({conns} conns)",
            _load(ours["poll"]),
            f"{r['poll_vs_hello']:.0%} of hello-world",
        ),
        lambda: (
            "End-to-end create, one at a time",
            _latency(ours["e2e_idle"]),
            f"p50 {r['e2e_p50_vs_celery_round_trip']:.1f}x Celery round trip",
        ),
        lambda: (
            "End-to-end create under a steady accept load "
            f"({ours['e2e_under_load']['accept_load']['per_second']:.0f}/s)",
            _latency(ours["e2e_under_load"]),
            "",
        ),
    ]


def _data_rows(figures: Figures) -> list[LazyRow]:
    """Workers draining, purging and listing many accounts, and memory."""
    ours, r = figures.service, figures.ratios
    return [
        lambda: (
            "Worker throughput by worker processes",
            ", ".join(
                f"{n}: {rate:.0f}/s" for n, rate in ours["worker_operations_per_second"].items()
            ),
            f"2 processes: {r['workers_vs_celery_noop']:.0%} of Celery no-op",
        ),
        lambda: (
            f"Purge {ours['purge']['accounts']} accounts past their grace period",
            _purge(ours["purge"]),
            "",
        ),
        lambda: (
            "Reads (`GET` one account) idle / during the purge",
            f"p99 {ours['reads_idle']['p99_ms']} ms / {ours['reads_during_purge']['p99_ms']} ms",
            f"{r['read_p99_purge_vs_idle']:.1f}x idle",
        ),
        lambda: (
            f"List with `like` over {figures.options['accounts']} accounts (4 conns)",
            _latency(ours["listing_like"]),
            "",
        ),
        lambda: ("Peak RSS", _rss(ours["peak_rss_mib"]), ""),
    ]


def _rss(rss: dict[str, float]) -> str:
    api = f"API {rss['api']} MiB"
    if "worker_main" not in rss:
        return api
    return f"{api}, worker {rss['worker_main']} MiB + {rss['worker_pool_max']} MiB per pool process"


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
