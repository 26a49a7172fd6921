"""How slow the API's foreground is right now against its own baseline, published to Redis once a
second for the pace of background work (`service/adapters/pacing.py`).

A probe (one trivial query through the pool requests use) runs every PROBE_SECONDS; its latency
is counted from the moment it was due, so it includes the event loop's wake-up lag as well as
the wait for a pool connection and for PostgreSQL: where a request waits when the cores are
busy. It costs requests nothing (no per-request hook) and gives a signal even when no request
arrives. Each second's 90th percentile is divided by the baseline, the median of the seconds
measured while no background work ran (the last ten minutes of them), and published. A second in
which the process served next to nothing (under SERVING_CPU_SHARE of a core) is published as 0:
with no foreground to protect, background work need not yield to the probe's own slowness.
"""

from __future__ import annotations

import asyncio
import collections
import os
import socket
import statistics
import time
from collections.abc import Awaitable, Callable

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.adapters.logs import error_text

log = structlog.get_logger(__name__)
KEY_PREFIX = "provisioner:foreground:"
PROBE_SECONDS = 0.1
PUBLISH_SECONDS = 1.0
BASELINE_SECONDS = 600
# A baseline from fewer seconds than this is not trusted: nothing is published yet.
MIN_BASELINE_SECONDS = 5
# Below this a baseline is noise (a probe on loopback answers in a fraction of a millisecond):
# the ratio is taken against at least this many seconds.
BASELINE_FLOOR_SECONDS = 0.002
# A process that used less CPU than this share of a core in a second was not serving requests.
SERVING_CPU_SHARE = 0.02
# A probe that takes longer is counted as taking this long (and the next one waits for it).
PROBE_TIMEOUT_SECONDS = 2.0

# The field's value is "ratio|publish time", the time from Redis's own clock; returns whether
# background work is running (the pacer's flag).
_PUBLISH = """
local clock = redis.call('TIME')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. clock[1] .. '.' .. clock[2])
return redis.call('EXISTS', KEYS[2])
"""

Probe = Callable[[], Awaitable[object]]


def signal_keys(namespace: str) -> list[str]:
    """The API processes' published ratios and the flag telling them background work runs, for
    the processes of one deployment (its queue name)."""
    return [f"{KEY_PREFIX}{namespace}:ratios", f"{KEY_PREFIX}{namespace}:background-active"]


class ForegroundProbe:
    def __init__(
        self,
        redis: Redis,
        probe: Probe,
        *,
        namespace: str,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self._redis = redis
        self._keys = signal_keys(namespace)
        self._probe = probe
        self._publish = redis.register_script(_PUBLISH)
        self._field = f"{socket.gethostname()}:{os.getpid()}"
        self._samples: list[float] = []
        self._baseline: collections.deque[float] = collections.deque(maxlen=BASELINE_SECONDS)
        self._background_active = False
        self._cpu_clock = cpu_clock
        self._window_started = (time.monotonic(), cpu_clock())
        self._stopping = False

    def stop(self) -> None:
        """End `run` at its next turn, even where a cancellation was turned into an error by the
        driver under the probe (the probe goes on after errors)."""
        self._stopping = True

    async def run(self) -> None:
        """Probe and publish until cancelled."""
        due = published = time.monotonic()
        while not self._stopping:
            due += PROBE_SECONDS
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self._samples.append(await self._measure(due))
            due = max(due, time.monotonic() - PROBE_SECONDS)  # no catching up after a stall
            if time.monotonic() - published >= PUBLISH_SECONDS:
                published = time.monotonic()
                await self._publish_window()

    async def _measure(self, due: float) -> float:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                await self._probe()
        except Exception:  # any failure counts as the slowest probe, and the probe goes on
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from None  # a cancel the driver turned into an error
            return PROBE_TIMEOUT_SECONDS
        return time.monotonic() - due

    def ratio(self) -> float | None:
        """This window's slowness against the baseline; the window is then started again."""
        samples, self._samples = sorted(self._samples), []
        started, cpu_started = self._window_started
        self._window_started = (time.monotonic(), self._cpu_clock())
        serving = self._window_started[1] - cpu_started > SERVING_CPU_SHARE * (
            self._window_started[0] - started
        )
        if not samples:
            return None
        recent = samples[int(0.9 * (len(samples) - 1))]
        if not self._background_active:
            self._baseline.append(recent)
        if len(self._baseline) < MIN_BASELINE_SECONDS:
            return None
        if not serving:
            return 0.0
        return recent / max(BASELINE_FLOOR_SECONDS, statistics.median(self._baseline))

    async def _publish_window(self) -> None:
        ratio = self.ratio()
        if ratio is None:
            return
        try:
            active = await self._publish(keys=self._keys, args=[self._field, f"{ratio:.3f}"])
        except (RedisError, OSError) as exc:
            log.warning("foreground.unpublished", error=error_text(exc))
            return
        self._background_active = bool(active)

    async def withdraw(self) -> None:
        """Take this process's signal out (on shutdown)."""
        try:
            await self._redis.hdel(self._keys[0], self._field)
        except (RedisError, OSError) as exc:
            log.warning("foreground.unpublished", error=error_text(exc))
