"""`provisioner bench --quick` from a bare environment: the benchmark runs and reports every
figure. It checks that the benchmark works, never how fast anything is."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

FIGURES = (
    "accept",
    "accept_scaled_out",
    "poll",
    "e2e_idle",
    "e2e_under_load",
    "listing_like",
    "reads_idle",
)


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
    assert service["reads_during_purge"]["requests"] > 0
    assert min(service["peak_rss_mib"].values()) > 0
    assert set(figures["ratios"].values()) != {0.0}
    assert all(ratio > 0 for ratio in figures["ratios"].values())
    # Every target is reported with its value, whether met or not.
    assert len(figures["targets"]) == 8
    # The accept path's profile: its 25 busiest functions and their shares of busy time.
    profile = service["accept_profile"]
    assert len(profile) == 25
    assert all(row["own_seconds"] >= 0 and 0 <= row["share"] <= 1 for row in profile)
    assert 0.1 < sum(row["share"] for row in profile) <= 1.0
    components = {row["component"] for row in service["accept_profile_by_component"]}
    assert {"aiohttp", "asyncpg", "our code (service/, workers/)"} <= components
    # The table the README carries is printed.
    assert "| Accept `POST /api/v2/accounts` (8 conns) |" in completed.stdout
    assert "| Target | Value | Met |" in completed.stdout
    assert "Accept path under cProfile — own time by library" in completed.stdout
