"""The bare-Celery baseline: a no-op task on the same Redis, with our worker options.

The task does nothing but record when it ran (one RPUSH), which is how the benchmark sees it
finish. Round trip: `apply_async`, then BLPOP of that record. Throughput: a backlog drained by a
worker with two prefork processes, timed from the first to the last record — the same way our
own workers are timed.

The worker is `python -m service.bench.celery_noop REDIS_URL CONCURRENCY`.
"""

from __future__ import annotations

import sys
import time

from celery import Celery
from redis import Redis

from service.adapters.broker import create_celery
from service.settings import Settings

QUEUE = "bench-noop"
DONE_KEY = "bench-noop:done"
# The first tasks also wait for the worker to start and warm up: not counted.
WARMUP_ROUND_TRIPS = 5


def noop_app(redis_url: str) -> Celery:
    """A Celery app configured exactly as ours (acks late, prefetch 1, ...) on its own queue."""
    app = create_celery(Settings(redis_url=redis_url, queue_name=QUEUE))
    recorder = Redis.from_url(redis_url)

    @app.task(name="bench.noop")
    def noop(reply_to: str) -> None:
        recorder.rpush(reply_to, repr(time.time()))

    return app


def round_trips(redis_url: str, samples: int) -> list[float]:
    """Seconds from `apply_async` to the task's record, one task at a time."""
    app = noop_app(redis_url)
    redis = Redis.from_url(redis_url)
    reply_to = f"{DONE_KEY}:round-trip"
    redis.delete(reply_to)
    seconds = []
    for _ in range(WARMUP_ROUND_TRIPS + samples):
        started = time.perf_counter()
        app.send_task("bench.noop", args=(reply_to,))
        if redis.blpop([reply_to], timeout=30) is None:
            raise RuntimeError("the bare Celery worker did not run a no-op task within 30 s")
        seconds.append(time.perf_counter() - started)
    return seconds[WARMUP_ROUND_TRIPS:]


def enqueue_backlog(redis_url: str, count: int) -> str:
    """`count` no-op tasks for a stopped worker; returns the key their records go to."""
    app = noop_app(redis_url)
    reply_to = f"{DONE_KEY}:backlog"
    Redis.from_url(redis_url).delete(reply_to)
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            app.send_task("bench.noop", args=(reply_to,), producer=producer)
    return reply_to


def backlog_finish_times(redis_url: str, reply_to: str, count: int, timeout: float) -> list[float]:
    """Wall-clock times the backlog's tasks recorded, once all `count` have run."""
    redis = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while redis.llen(reply_to) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"bare Celery ran {redis.llen(reply_to)} of {count} tasks in time")
        time.sleep(0.05)
    return sorted(float(value) for value in redis.lrange(reply_to, 0, -1))


def main() -> None:
    redis_url, concurrency = sys.argv[1], sys.argv[2]
    noop_app(redis_url).worker_main(
        [
            "--quiet",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            f"--queues={QUEUE}",
            "--hostname=bench-noop@%h",
            "--without-mingle",
            "--without-gossip",
        ]
    )


if __name__ == "__main__":
    main()
