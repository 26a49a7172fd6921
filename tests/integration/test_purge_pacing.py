"""Purges yield to foreground work: the API processes' published slowness halves the shared purge
rate (down to its floor), quiet brings it back; the probe publishes against its own baseline."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from service.adapters import foreground, pacing
from service.adapters.foreground import ForegroundProbe, signal_keys
from service.adapters.pacing import Pacer
from service.settings import Settings
from workers.priority import LowPriorityThread

CEILING = 1000.0
FLOOR = 50.0


@pytest.fixture
def redis(settings: Settings) -> Iterator[SyncRedis]:
    assert settings.redis_url is not None
    with SyncRedis.from_url(settings.redis_url) as client:
        yield client


@pytest.fixture
def namespace() -> str:
    return f"pace-test-{uuid.uuid4().hex[:8]}"


def publish(redis: SyncRedis, namespace: str, field: str, ratio: float, age: float = 0.0) -> None:
    seconds, micros = redis.time()
    now = seconds + micros / 1e6 - age
    redis.hset(signal_keys(namespace)[0], field, f"{ratio}|{now:.6f}")


def published_ratio(value: object) -> float:
    """The ratio of a published "ratio|time" value (read as text)."""
    return float(str(value).split("|")[0])


def pacer(redis: SyncRedis, namespace: str) -> Pacer:
    return Pacer(redis, namespace, rate=CEILING, burst=100, min_rate=FLOOR, namespace=namespace)


def test_a_slow_api_halves_the_rate_down_to_the_floor_and_quiet_brings_it_back(
    redis: SyncRedis, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pacing, "ADJUST_SECONDS", 0.0)  # adjust on every reservation
    paced = pacer(redis, namespace)
    assert paced.wait_needed(1) == 0.0
    assert paced.rate_in_force == CEILING  # nobody publishes: full speed
    publish(redis, namespace, "api-1", 1.2)
    publish(redis, namespace, "api-2", 3.0)  # one slow API process is enough
    rates = []
    for _ in range(6):
        paced.wait_needed(1)
        rates.append(paced.rate_in_force)
    assert rates == [500.0, 250.0, 125.0, 62.5, FLOOR, FLOOR]
    # The debt is waited off at the rate in force.
    # (what is left of the burst of 100 is taken first).
    assert 100 / FLOOR <= paced.wait_needed(200) <= 110 / FLOOR
    publish(redis, namespace, "api-2", 1.1)
    paced.wait_needed(1)
    assert paced.rate_in_force == FLOOR + CEILING / pacing.RECOVERY_STEPS
    for _ in range(pacing.RECOVERY_STEPS):
        paced.wait_needed(1)
    assert paced.rate_in_force == CEILING
    # The API processes see that purges run (their baseline leaves these seconds out).
    assert redis.exists(signal_keys(namespace)[1])


def test_a_stale_signal_is_dropped_and_the_rate_adjusts_at_most_once_a_second(
    redis: SyncRedis, namespace: str
) -> None:
    paced = pacer(redis, namespace)
    publish(redis, namespace, "gone", 5.0, age=pacing.SIGNAL_SECONDS + 1)
    paced.wait_needed(1)
    assert paced.rate_in_force == CEILING
    assert not redis.hexists(signal_keys(namespace)[0], "gone")
    publish(redis, namespace, "api", 5.0)
    paced.wait_needed(1)  # adjusted a moment ago: not again yet
    assert paced.rate_in_force == CEILING
    # Another deployment (queue) on the same Redis is not slowed by this one's API.
    other = pacer(redis, f"{namespace}-other")
    other.wait_needed(1)
    assert other.rate_in_force == CEILING


def test_without_a_floor_below_the_ceiling_purges_never_yield(
    redis: SyncRedis, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pacing, "ADJUST_SECONDS", 0.0)
    fixed = Pacer(redis, namespace, rate=CEILING, burst=100, namespace=namespace)
    publish(redis, namespace, "api", 10.0)
    for _ in range(3):
        fixed.wait_needed(1)
    assert fixed.rate_in_force == CEILING


async def test_the_probe_publishes_its_slowness_against_its_baseline(
    settings: Settings, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(foreground, "PUBLISH_SECONDS", 0.1)
    monkeypatch.setattr(foreground, "MIN_BASELINE_SECONDS", 3)
    monkeypatch.setattr(foreground, "BASELINE_FLOOR_SECONDS", 0.001)
    slow = asyncio.Event()

    async def probe() -> None:
        await asyncio.sleep(0.2 if slow.is_set() else 0.0)

    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    ratios_key = signal_keys(namespace)[0]
    prober = ForegroundProbe(redis, probe, namespace=namespace, cpu_clock=busy_cpu())
    task = asyncio.create_task(prober.run())
    try:
        for _ in range(100):  # its baseline takes 3 windows
            if await redis.hlen(ratios_key):
                break
            await asyncio.sleep(0.05)
        (quiet,) = await redis.hvals(ratios_key)
        assert published_ratio(quiet) < 3  # near its baseline
        # Purges run (the pacer's flag): these seconds stay out of the baseline.
        await redis.set(signal_keys(namespace)[1], "1", px=5000)
        await asyncio.sleep(0.3)
        slow.set()
        await asyncio.sleep(1.0)
        (busy,) = await redis.hvals(ratios_key)
        assert published_ratio(busy) > 3  # 200 ms against its baseline
    finally:
        task.cancel()
        await prober.withdraw()
        await redis.aclose()
    async with Redis.from_url(settings.redis_url) as check:
        assert not await check.hlen(ratios_key)


def busy_cpu() -> Callable[[], float]:
    """A process clock that says a whole core was busy between any two readings."""
    readings = itertools.count()
    return lambda: float(next(readings)) * 1000


def test_seconds_while_background_work_runs_stay_out_of_the_baseline() -> None:
    prober = ForegroundProbe(
        Redis(), lambda: asyncio.sleep(0), namespace="unit", cpu_clock=busy_cpu()
    )
    for _ in range(5):
        prober._samples = [0.002] * 20
        prober.ratio()
    prober._background_active = True
    for _ in range(50):
        prober._samples = [0.010] * 20
        assert prober.ratio() == pytest.approx(5.0)  # the baseline stays 2 ms


def test_a_process_serving_nothing_asks_no_background_work_to_yield() -> None:
    idle = ForegroundProbe(
        Redis(), lambda: asyncio.sleep(0), namespace="unit", cpu_clock=lambda: 0.0
    )
    for _ in range(10):
        idle._samples = [0.002] * 20
        idle.ratio()
    idle._samples = [0.050] * 20
    assert idle.ratio() == 0.0  # slow, but the process served nothing meanwhile


def test_purge_batches_run_on_a_nicer_thread_of_their_own() -> None:
    thread = LowPriorityThread(5)
    try:
        own = os.getpriority(os.PRIO_PROCESS, 0)
        niceness = thread.run(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        assert niceness == min(19, own + 5)
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own  # ours unchanged
        assert thread.run(threading.get_ident) != threading.get_ident()
    finally:
        thread.close()
    assert LowPriorityThread(0).run(threading.get_ident) == threading.get_ident()


async def test_a_failing_probe_counts_as_the_slowest_and_the_probe_goes_on() -> None:
    async def broken() -> None:
        raise ConnectionResetError("database gone")

    prober = ForegroundProbe(Redis(), broken, namespace="unit")
    assert await prober._measure(0.0) == foreground.PROBE_TIMEOUT_SECONDS
