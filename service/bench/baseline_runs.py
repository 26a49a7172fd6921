"""The same-run baselines: aiohttp hello-world, one INSERT + one LPUSH, and bare Celery."""

from __future__ import annotations

from dataclasses import asdict

from service.adapters.processes import Child
from service.bench import celery_noop
from service.bench.harness import Bench, completion_rate, measured
from service.bench.processes import wait_http
from service.bench.stats import summarize


def measure_baselines(bench: Bench) -> None:
    """The baselines the chosen sections' ratios are taken against."""
    sections = bench.options.sections
    if "accept" in sections:
        measure_http_baselines(bench)
    if "workers" in sections or "e2e" in sections:
        measure_bare_celery(bench)


def measure_http_baselines(bench: Bench) -> None:
    bench.say("baseline: aiohttp hello-world")
    hello = bench.start(
        "baseline-hello", ["-m", "service.bench.baselines", "hello", str(bench.options.port)]
    )
    wait_http(hello, bench.base + "/")
    bench.figures.baselines["hello_world"] = asdict(measured(bench.load()))
    bench.stop(hello)

    bench.say("baseline: aiohttp + one INSERT + one Redis LPUSH per request")
    plain_url = bench.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    insert = bench.start(
        "baseline-insert-push",
        [
            "-m",
            "service.bench.baselines",
            "insert-push",
            str(bench.options.port),
            plain_url,
            bench.redis_url,
        ],
    )
    wait_http(insert, bench.base + "/")
    bench.figures.baselines["insert_push"] = asdict(
        measured(bench.load(method="POST", body='{"n": {n}}', expect=[202]))
    )
    bench.stop(insert)


def measure_bare_celery(bench: Bench) -> None:
    bench.say("baseline: bare Celery no-op round trip and throughput")
    worker = start_noop_worker(bench)
    trips = celery_noop.round_trips(bench.redis_url, bench.options.round_trip_samples)
    bench.stop(worker)
    trip = summarize(trips, sum(trips))
    count = bench.options.worker_operations
    reply_to = celery_noop.enqueue_backlog(bench.redis_url, count)
    worker = start_noop_worker(bench)
    finished = celery_noop.backlog_finish_times(bench.redis_url, reply_to, count, timeout=600)
    bench.stop(worker)
    bench.figures.baselines["celery_round_trip"] = {"p50_ms": trip.p50_ms, "p99_ms": trip.p99_ms}
    bench.figures.baselines["celery_noop_per_second"] = completion_rate(finished)


def start_noop_worker(bench: Bench) -> Child:
    return bench.start("baseline-celery", ["-m", "service.bench.celery_noop", bench.redis_url, "2"])
