"""`GET /metrics` (Prometheus text format) and the middleware that counts requests."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.adapters.metrics import take_snapshot
from service.web.keys import METRICS, REDIS, SESSIONS, SETTINGS
from service.web.middlewares import Handler

SNAPSHOT_TIMEOUT_SECONDS = 3.0


def _route(request: web.Request) -> str:
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    metrics = request.app[METRICS]
    route = _route(request)
    metrics.requests.labels(route, request.method, str(response.status)).inc()
    metrics.latency.labels(route, request.method).observe(time.perf_counter() - started)
    return response


async def metrics_handler(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    try:
        async with asyncio.timeout(SNAPSHOT_TIMEOUT_SECONDS), request.app[SESSIONS]() as session:
            metrics.snapshot.snapshot = await take_snapshot(
                session, request.app[REDIS], request.app[SETTINGS].queue_name
            )
    except (TimeoutError, OSError):
        pass  # serve the last snapshot: a scrape must not fail because a dependency is slow
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
