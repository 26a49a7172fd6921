"""Placement's cost on accept: the accept load with no tenant cluster registered (placement
finds none and the create is not placed, as a deployment with only TENANT_DATABASE_URL runs),
with one open cluster in the region (each batch locks its row, the trigger counts the
placements), and with three (the lock takes the region's three rows), alternately."""

from __future__ import annotations

from statistics import mean
from typing import Any

from service.adapters.processes import Child
from service.bench import seed
from service.bench.harness import Bench, measured_with_cpu

# How many open clusters the region has in each configuration.
CLUSTERS = {"unplaced": 0, "one_cluster": 1, "three_clusters": 3}
CAPACITY = 1_000_000_000  # never full during the benchmark


def measure_placement(bench: Bench, api: Child) -> None:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CLUSTERS}
    try:
        for round_number in range(bench.options.ab_rounds):
            for name, count in CLUSTERS.items():
                bench.say(f"placement: accept with {count} open clusters in the region")
                _register(bench, count)
                spec = bench.creates(f"PL{round_number}{count}_{{n}}")
                runs[name].append(measured_with_cpu(spec, api.pid))
    finally:
        seed.forget_clusters(bench.engine)
    # The creates stay queued in the database (no worker runs them, and nothing measured after
    # this section reads the queue); their messages go.
    bench.redis.delete(bench.env["QUEUE_NAME"])
    bench.figures.service["placement"] = {name: _mean(results) for name, results in runs.items()}


def _register(bench: Bench, count: int) -> None:
    seed.forget_clusters(bench.engine)
    names = [f"bench-{bench.suffix.lower()}-{n}" for n in range(count)]
    seed.register_clusters(
        bench.engine, names, region=bench.settings.default_region, capacity=CAPACITY
    )


def _mean(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs' mean rate and CPU per create, and each run's figures."""
    return {
        "per_second": round(mean(run["per_second"] for run in results), 1),
        "cpu_us_per_request": round(mean(run["cpu_us_per_request"] for run in results), 1),
        "p50_ms": round(mean(run["p50_ms"] for run in results), 2),
        "p99_ms": round(mean(run["p99_ms"] for run in results), 2),
        "runs": results,
    }
