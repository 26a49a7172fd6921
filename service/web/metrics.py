"""`GET /metrics` (Prometheus text format) and the middleware that counts requests."""

from __future__ import annotations

import asyncio
import hmac
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.adapters.metrics import SNAPSHOT_TTL_SECONDS, take_snapshot
from service.domain.errors import Unauthenticated
from service.web.auth import token_from_header
from service.web.keys import METRICS, REDIS, SESSIONS, SETTINGS
from service.web.middlewares import Handler

SNAPSHOT_TIMEOUT_SECONDS = 3.0
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="metrics"'}


def _route(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    seconds = time.perf_counter() - started
    request.app[METRICS].observe_request(_route(request), request.method, response.status, seconds)
    return response


def _require_metrics_token(request: web.Request) -> None:
    expected = request.app[SETTINGS].metrics_token
    if expected is None:
        return
    given = token_from_header(request.headers.get("Authorization")) or ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise Unauthenticated(
            'metrics need "Authorization: Bearer <METRICS_TOKEN>"', headers=_CHALLENGE
        )


async def _refresh(app: web.Application) -> None:
    """Take a new snapshot unless the last one is younger than SNAPSHOT_TTL_SECONDS."""
    collector = app[METRICS].snapshot
    async with collector.refreshing:
        taken = collector.taken_at
        if taken is not None and time.monotonic() - taken < SNAPSHOT_TTL_SECONDS:
            return
        try:
            async with asyncio.timeout(SNAPSHOT_TIMEOUT_SECONDS), app[SESSIONS]() as session:
                collector.snapshot = await take_snapshot(
                    session, app[REDIS], app[SETTINGS].queue_name
                )
            collector.taken_at = time.monotonic()
        except (TimeoutError, OSError):
            pass  # serve the last snapshot: a scrape must not fail because a dependency is slow


async def metrics_handler(request: web.Request) -> web.Response:
    _require_metrics_token(request)
    metrics = request.app[METRICS]
    await _refresh(request.app)
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
