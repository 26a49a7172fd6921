"""The API process's foreground probe (`service/adapters/foreground.py`), started and stopped
with the application."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from service.adapters.foreground import ForegroundProbe
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
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await prober.withdraw()
