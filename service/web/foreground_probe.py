"""The API process's foreground probe (`service/adapters/foreground.py`), started and stopped
with the application."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from service.adapters.foreground import PROBE_SECONDS, PROBE_TIMEOUT_SECONDS, ForegroundProbe
from service.web.keys import POOL, REDIS, SETTINGS


async def foreground_probe(app: web.Application) -> AsyncIterator[None]:
    """Registered after the database and Redis contexts, whose pool and client it uses."""
    pool, wait_seconds = app[POOL], app[SETTINGS].db_timeout_seconds

    async def probe() -> None:
        async with pool.acquire(wait_seconds=wait_seconds) as connection:
            await connection.fetchval("SELECT 1")

    prober = ForegroundProbe(app[REDIS], probe, namespace=app[SETTINGS].queue_name)
    task = asyncio.create_task(prober.run(), name="foreground-probe")
    yield
    prober.stop()
    task.cancel()
    # Bounded: a shutdown must never hang on the probe (it ends at its next turn anyway).
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS + PROBE_SECONDS):
            await task
    await prober.withdraw()
