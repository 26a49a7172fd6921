"""Ratios to the same-run baselines, the issue's targets, and the printed table."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from statistics import mean
from typing import Any, NamedTuple

from service.bench.figures import Figures
from service.bench.graphql_runs import CONNECTIONS as LIST_CONNECTIONS
from service.bench.purge_runs import READ_RATE_PER_SECOND, UNDER_READS_DURATIONS

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
    # The mean of the alternating pairs' ratios (each pair ran back to back).
    "graphql_vs_rest_list": lambda b, o: round(mean(o["graphql_accounts_100"]["ratio_runs"]), 3),
    # A cost: the share of accept's rate (or the CPU per create added) placement takes.
    "placement_cost": lambda b, o: _cost(o["placement"], "one_cluster"),
    "placement_cost_three_clusters": lambda b, o: _cost(o["placement"], "three_clusters"),
    "placement_cpu_cost": lambda b, o: _cpu_cost(o["placement"], "one_cluster"),
    "placement_cpu_cost_three_clusters": lambda b, o: _cpu_cost(o["placement"], "three_clusters"),
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
    (
        lambda o: f"usage scan of {o['usage_scan']['accounts']} accounts <= 30 s",
        lambda r, o: max(o["usage_scan"]["first_seconds"], o["usage_scan"]["seconds"]),
        30.0,
        False,
    ),
    (
        lambda o: "placement's cost on accept req/s <= 5%",
        lambda r, o: r["placement_cost"],
        0.05,
        False,
    ),
]


def _ratio(ours: float, baseline: float) -> float:
    return round(ours / baseline, 3) if baseline else 0.0


def _cost(placement: Figure, placed: str) -> float:
    """The share of the unplaced accept rate lost with `placed` clusters (negative: faster)."""
    return round(
        1 - _ratio(placement[placed]["per_second"], placement["unplaced"]["per_second"]), 3
    )


def _cpu_cost(placement: Figure, placed: str) -> float:
    """The CPU per create added with `placed` clusters, as a share of the unplaced one's."""
    unplaced = placement["unplaced"]["cpu_us_per_request"]
    return round(placement[placed]["cpu_us_per_request"] / unplaced - 1, 3) if unplaced else 0.0


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
        for rows_of in (_baseline_rows, _api_rows, _data_rows, _new_rows)
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


class Row(NamedTuple):
    measure: str
    result: str
    ratio: str = ""  # to the same-run baseline, where the measure has one


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
        lambda: Row("Baseline: aiohttp hello-world JSON", _load(base["hello_world"])),
        lambda: Row("Baseline: aiohttp + INSERT + Redis LPUSH", _load(base["insert_push"])),
        lambda: Row("Baseline: bare Celery no-op round trip", _latency(base["celery_round_trip"])),
        lambda: Row(
            "Baseline: bare Celery no-op, 2 processes",
            f"{base['celery_noop_per_second']:.0f}/s",
        ),
    ]


def _api_rows(figures: Figures) -> list[LazyRow]:
    ours, r = figures.service, figures.ratios
    conns = figures.options["connections"]
    return [
        lambda: Row(
            f"Accept `POST /api/v2/accounts` ({conns} conns)",
            _load(ours["accept"]),
            f"{_share(r['accept_vs_hello'], 'hello-world')}, "
            f"{_share(r['accept_vs_insert_push'], 'INSERT+LPUSH')}",
        ),
        lambda: Row(
            f"Accept, `serve --workers {ours['accept_scaled_out']['processes']}` ({conns} conns)",
            _load(ours["accept_scaled_out"]),
            f"{r['accept_scale_out']:.2f}x one API process",
        ),
        lambda: Row(
            f"Poll `GET /api/v2/results/{{handle}}` ({conns} conns)",
            _load(ours["poll"]),
            _share(r["poll_vs_hello"], "hello-world"),
        ),
        lambda: Row(
            "End-to-end create, one at a time",
            _latency(ours["e2e_idle"]),
            f"p50 {r['e2e_p50_vs_celery_round_trip']:.1f}x Celery round trip",
        ),
        lambda: Row(
            "End-to-end create under a steady accept load "
            f"({ours['e2e_under_load']['accept_load']['per_second']:.0f}/s)",
            _latency(ours["e2e_under_load"]),
        ),
    ]


def _data_rows(figures: Figures) -> list[LazyRow]:
    """Workers draining, purging and listing many accounts, and memory."""
    ours, r = figures.service, figures.ratios
    return [
        lambda: Row(
            "Worker throughput by worker processes",
            ", ".join(
                f"{n}: {rate:.0f}/s" for n, rate in ours["worker_operations_per_second"].items()
            ),
            f"2 processes: {_share(r['workers_vs_celery_noop'], 'Celery no-op')}",
        ),
        lambda: Row(
            f"Purge {ours['purge']['accounts']} accounts past their grace period, alone",
            _purge(ours["purge"]),
        ),
        lambda: Row(
            f"Purge {ours['purge_under_reads']['accounts']} more under "
            f"{READ_RATE_PER_SECOND:.0f} reads/s (at most {UNDER_READS_DURATIONS} load durations)",
            _purge(ours["purge_under_reads"], stopped="stopped with the reads"),
        ),
        lambda: Row(
            "Reads (`GET` one account) idle / during the purge",
            f"p99 {ours['reads_idle']['p99_ms']} ms / {ours['reads_during_purge']['p99_ms']} ms",
            f"{r['read_p99_purge_vs_idle']:.1f}x idle",
        ),
        lambda: Row(
            f"List with `like` over {figures.options['accounts']} accounts (4 conns)",
            _latency(ours["listing_like"]),
        ),
        lambda: Row("Peak RSS", _rss(ours["peak_rss_mib"])),
    ]


def _new_rows(figures: Figures) -> list[LazyRow]:
    """GraphQL against REST, the console's feed, placement's cost and the usage scan."""
    ours, r = figures.service, figures.ratios
    return [
        lambda: Row(
            f"List of 100 `GET /api/v2/accounts?showLimit=100` ({LIST_CONNECTIONS} conns)",
            _cpu_load(ours["rest_list_100"]),
        ),
        lambda: Row(
            f"GraphQL `accounts(first: 100)`, the same "
            f"{ours['graphql_accounts_100']['fields']} fields ({LIST_CONNECTIONS} conns)",
            _cpu_load(ours["graphql_accounts_100"]),
            _share(r["graphql_vs_rest_list"], "the REST list's req/s"),
        ),
        lambda: Row(
            f"Console live feed, {ours['console_feed']['viewers']} SSE viewers",
            _feed(ours["console_feed"]),
        ),
        lambda: Row(
            "Accept, no tenant cluster registered (unplaced)",
            _cpu_load(ours["placement"]["unplaced"]),
        ),
        lambda: _placed(figures, "on 1 open cluster", "one_cluster"),
        lambda: _placed(figures, "among 3 open clusters", "three_clusters"),
        lambda: Row(
            f"Usage scan of {ours['usage_scan']['accounts']} accounts of one cluster "
            "(simulated driver)",
            f"first {ours['usage_scan']['first_seconds']} s, "
            f"next {ours['usage_scan']['seconds']} s",
        ),
        lambda: Row(
            f"PostgreSQL driver's size query, {ours['usage_query']['databases']} real databases",
            _size_query(ours["usage_query"]),
        ),
    ]


def _placed(figures: Figures, where: str, clusters: str) -> Row:
    """Accept placing each account `where`, and what placing cost against the unplaced accept."""
    placement = figures.service["placement"]
    return Row(
        f"Accept, placed {where} of the region",
        _cpu_load(placement[clusters]),
        f"cost {_cost(placement, clusters):.1%} of req/s, "
        f"{_cpu_cost(placement, clusters):+.1%} CPU per create",
    )


def _share(ratio: float, of: str) -> str:
    return f"{ratio:.0%} of {of}"


def _cpu_load(result: dict[str, Any]) -> str:
    return f"{_load(result)}, API CPU {result['cpu_us_per_request']:.0f} µs/request"


def _feed(feed: dict[str, Any]) -> str:
    return (
        f"{feed['events']} overviews delivered ({feed['updates']} distinct) in "
        f"{feed['seconds']:.0f} s: API CPU {feed['cpu_us_per_event']:.0f} µs per overview "
        f"delivered above idle ({feed['cpu_ms_per_second']} ms/s)"
    )


def _size_query(query: dict[str, Any]) -> str:
    return (
        f"{query['seconds'] * 1000:.0f} ms ({query['databases_half']}: "
        f"{query['seconds_half'] * 1000:.0f} ms; {query['ms_per_database']} ms per database); "
        f"extrapolated to {query['extrapolated_to']}: ~{query['extrapolated_seconds']} s"
    )


def _rss(rss: dict[str, float]) -> str:
    api = f"API {rss['api']} MiB"
    if "worker_main" not in rss:
        return api
    return f"{api}, worker {rss['worker_main']} MiB + {rss['worker_pool_max']} MiB per pool process"


def _profile_lines(ours: dict[str, Any]) -> list[str]:
    """The profiled accept and poll runs' tables, when the run had them."""
    lines: list[str] = []
    for path, title in (("accept", "Accept path"), ("poll", "Poll path")):
        components = ours.get(f"{path}_profile_by_component")
        if components:
            lines += [
                "",
                f"{title} under cProfile — own time by library, idle waits left out:",
                "",
                "| Library | Share of busy time |",
                "|---|---|",
            ]
            lines += [f"| {row['component']} | {row['share']:.1%} |" for row in components]
        profile = ours.get(f"{path}_profile")
        if profile:
            lines += [
                "",
                f"{title} under cProfile — own time by function, idle waits left out:",
                "",
                "| Function | Calls | Share of busy time |",
                "|---|---|---|",
            ]
            lines += [
                f"| `{row['function']}` | {row['calls']} | {row['share']:.1%} |" for row in profile
            ]
    return lines


def _purge(purge: dict[str, Any], stopped: str = "stopped at the timeout") -> str:
    if purge["finished"]:
        return f"{purge['seconds']} s ({purge['accounts'] / purge['seconds']:.0f}/s)"
    return (
        f"unfinished: {purge['purged']} purged in {purge['seconds']} s "
        f"({purge['purged'] / purge['seconds']:.0f}/s), {stopped}"
    )


def _load(result: dict[str, Any]) -> str:
    return f"{result['per_second']:.0f} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms"


def _latency(result: dict[str, Any]) -> str:
    return f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms"
