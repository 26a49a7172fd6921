"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Literal

from aiohttp import web
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from service.store.db import ping
from service.web.keys import REDIS, SESSIONS
from service.web.responses import error_response, json_response

PROBE_TIMEOUT_SECONDS = 2.0


@with_config(ConfigDict(extra="forbid"))
class Health(TypedDict):
    status: Literal["ok"]


@with_config(ConfigDict(extra="forbid"))
class Ready(TypedDict):
    status: Literal["ready"]


HEALTHY: Health = {"status": "ok"}
READY: Ready = {"status": "ready"}


async def healthz(request: web.Request) -> web.Response:
    return json_response(HEALTHY)


async def _database_answers(request: web.Request) -> bool:
    async with request.app[SESSIONS]() as session:
        await ping(session)
    return True


async def _broker_answers(request: web.Request) -> bool:
    return bool(await request.app[REDIS].ping())


async def readyz(request: web.Request) -> web.Response:
    checks = {"database": _database_answers, "broker": _broker_answers}
    failing = []
    for name, check in checks.items():
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
                await check(request)
        except Exception:
            failing.append(name)
    if failing:
        return error_response(
            request,
            503,
            "unavailable",
            f"not ready: {', '.join(failing)} not answering",
            {"Retry-After": "5"},
        )
    return json_response(READY)
