"""`provisioner bench --quick` from a bare environment: the benchmark runs and reports every
figure. It checks that the benchmark works, never how fast anything is."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FIGURES = (
    "accept",
    "accept_scaled_out",
    "poll",
    "e2e_idle",
    "e2e_under_load",
    "listing_like",
    "reads_idle",
    "rest_list_100",
    "graphql_accounts_100",
)
# Ratios that are costs: a share lost or added, which noise can make zero or negative.
COSTS = {
    "placement_cost",
    "placement_cost_three_clusters",
    "placement_cpu_cost",
    "placement_cpu_cost_three_clusters",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.timeout(300)
def test_quick_bench_measures_every_figure_against_its_baselines(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    executable = Path(sys.executable).with_name("provisioner")
    completed = subprocess.run(
        [
            str(executable),
            "bench",
            "--quick",
            "--profile",
            "--port",
            str(_free_port()),
            "--output",
            str(output),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    figures = json.loads(output.read_text())

    baselines, service = figures["baselines"], figures["service"]
    assert baselines["hello_world"]["requests"] > 0
    assert baselines["insert_push"]["requests"] > 0
    assert baselines["celery_round_trip"]["p50_ms"] > 0
    assert baselines["celery_noop_per_second"] > 0
    for name in FIGURES:
        assert service[name]["requests"] > 0, name
        assert service[name]["p99_ms"] >= service[name]["p50_ms"] > 0, name
    assert set(service["worker_operations_per_second"]) == {"1", "2"}
    assert all(rate > 0 for rate in service["worker_operations_per_second"].values())
    purge = service["purge"]
    assert (purge["accounts"], purge["purged"], purge["finished"]) == (300, 300, True)
    assert purge["seconds"] > 0
    under_reads = service["purge_under_reads"]
    assert (under_reads["accounts"], under_reads["purged"], under_reads["finished"]) == (
        60,
        60,
        True,
    )
    assert service["reads_during_purge"]["requests"] > 0
    assert min(service["peak_rss_mib"].values()) > 0
    assert set(figures["ratios"]) >= COSTS
    assert all(ratio > 0 for name, ratio in figures["ratios"].items() if name not in COSTS)
    # Every target is reported with its value, whether met or not.
    assert len(figures["targets"]) == 10
    _assert_new_figures(service)
    # The accept and poll paths' profiles: their 25 busiest functions and shares of busy time.
    for path in ("accept", "poll"):
        profile = service[f"{path}_profile"]
        assert len(profile) == 25, path
        assert all(row["own_seconds"] >= 0 and 0 <= row["share"] <= 1 for row in profile)
        assert 0.1 < sum(row["share"] for row in profile) <= 1.0
        components = {row["component"] for row in service[f"{path}_profile_by_component"]}
        assert {"aiohttp", "our code (service/, workers/)"} <= components, path
    assert "asyncpg" in {row["component"] for row in service["accept_profile_by_component"]}
    # The table the README carries is printed.
    assert "| Accept `POST /api/v2/accounts` (8 conns) |" in completed.stdout
    assert "| Target | Value | Met |" in completed.stdout
    assert "Accept path under cProfile — own time by library" in completed.stdout
    assert "Poll path under cProfile — own time by library" in completed.stdout
    assert "| GraphQL `accounts(first: 100)`, the same " in completed.stdout
    assert "| Usage scan of 300 accounts of one cluster (simulated driver) |" in completed.stdout


def _assert_new_figures(service: dict[str, Any]) -> None:
    """GraphQL and REST with the API's CPU, the console's feed, placement, the usage scan."""
    for name in ("rest_list_100", "graphql_accounts_100"):
        assert service[name]["cpu_us_per_request"] > 0, name
    graphql = service["graphql_accounts_100"]
    assert graphql["fields"] >= 20  # the REST account's fields, nulls left out
    assert len(graphql["ratio_runs"]) == 1  # --quick: one round of each A/B
    feed = service["console_feed"]
    assert (feed["viewers"], feed["errors"]) == (5, 0)
    assert feed["events"] >= 5  # every viewer got its first overview at least
    assert feed["updates"] >= 1
    assert feed["cpu_us_per_event"] >= 0
    placement = service["placement"]
    assert set(placement) == {"unplaced", "one_cluster", "three_clusters"}
    for name, figure in placement.items():
        assert len(figure["runs"]) == 1, name
        assert all(run["requests"] > 0 and run["cpu_us_per_request"] > 0 for run in figure["runs"])
    scan = service["usage_scan"]
    assert scan["accounts"] == 300
    assert scan["near_storage"] == 3  # one in 100 seeded near its limit
    assert scan["first_seconds"] > 0
    assert scan["seconds"] > 0
    query = service["usage_query"]
    assert (query["databases_half"], query["databases"]) == (2, 5)
    assert query["seconds"] > 0
    assert query["extrapolated_to"] == 300
