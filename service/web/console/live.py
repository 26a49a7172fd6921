"""`GET /api/v2/console/overview`: the overview as JSON, or pushed as server-sent events while
the caller asks for `text/event-stream` (the console reads it with fetch(), so the token goes in
the Authorization header like on every other endpoint)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from typing import Any

import orjson
import structlog
from aiohttp import web
from aiohttp_sse import EventSourceResponse, sse_response

from service.domain.errors import ServiceError, error_body
from service.domain.roles import Permission
from service.web.auth import authorize
from service.web.console.memory import QueueHistory, WorkerRoster
from service.web.console.overview import ConsoleMemory, gather_overview
from service.web.deadlines import answer_within
from service.web.keys import REDIS, REQUEST_ID, SESSIONS, SETTINGS
from service.web.middlewares import REQUEST_ID_HEADER
from service.web.responses import json_response

log = structlog.get_logger(__name__)
CACHE_SECONDS = 2.0
TIMEOUT_SECONDS = 3.0
PUSH_SECONDS = 2.0
SEND_TIMEOUT_SECONDS = EventSourceResponse.DEFAULT_SEND_TIMEOUT
# A stream ends after this long and the page opens a new one: the token is checked again on
# every push anyway; this bounds how long one connection is held.
STREAM_SECONDS = 300.0
EVENT_STREAM = "text/event-stream"
_FATAL = frozenset({401, 403})


class _Rendered:
    """One overview, and the server-sent event that carries it, rendered once for every stream
    of the organization (100 open consoles cost one render per update, not 100)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.at = time.monotonic()
        self.body = body
        self.event = b"event: overview\r\ndata: " + orjson.dumps(body) + b"\r\n\r\n"


class LiveOverview:
    """One per API process: the memory behind the sparklines, and each organization's last
    overview for a moment (every console of an organization shares it)."""

    def __init__(self) -> None:
        self.memory = ConsoleMemory(QueueHistory(), WorkerRoster())
        self.closing = asyncio.Event()
        self._cache: dict[int, _Rendered] = {}
        self._lock = asyncio.Lock()

    async def overview(self, app: web.Application, organization_id: int) -> dict[str, Any]:
        return (await self.rendered(app, organization_id)).body

    async def rendered(self, app: web.Application, organization_id: int) -> _Rendered:
        async with self._lock:
            cached = self._cache.get(organization_id)
            if cached is not None and time.monotonic() - cached.at < CACHE_SECONDS:
                return cached
            settings = app[SETTINGS]
            async with (
                answer_within(TIMEOUT_SECONDS, "the overview"),
                app[SESSIONS]() as session,
            ):
                found = await gather_overview(
                    session,
                    app[REDIS],
                    self.memory,
                    queue=settings.queue_name,
                    organization_id=organization_id,
                    stuck_after=timedelta(seconds=settings.stranded_after_seconds),
                )
            rendered = self._cache[organization_id] = _Rendered(found)
            return rendered


CONSOLE = web.AppKey("console", LiveOverview)


def wants_stream(request: web.Request) -> bool:
    return EVENT_STREAM in request.headers.get("Accept", "")


async def overview_handler(request: web.Request) -> web.StreamResponse:
    principal = await authorize(request, Permission.WATCH_QUEUES)
    if not wants_stream(request):
        live = request.app[CONSOLE]
        return json_response(await live.overview(request.app, principal.organization_id))
    headers = {REQUEST_ID_HEADER: request[REQUEST_ID], "Cache-Control": "no-store"}
    async with sse_response(request, headers=headers) as events:
        with contextlib.suppress(ConnectionResetError):
            await _push(request, events)
    return events


async def _push(request: web.Request, events: EventSourceResponse) -> None:
    """Send the overview every PUSH_SECONDS until the stream's time is up or the server stops;
    the token is checked before each push, so a revoked one stops the stream."""
    live = request.app[CONSOLE]
    ends = time.monotonic() + STREAM_SECONDS
    while not live.closing.is_set() and time.monotonic() < ends:
        try:
            principal = await authorize(request, Permission.WATCH_QUEUES)
            rendered = await live.rendered(request.app, principal.organization_id)
        except ServiceError as exc:
            error = error_body(exc.code, exc.message, request[REQUEST_ID])
            await events.send(orjson.dumps(error).decode(), event="error")
            if exc.status in _FATAL:
                return
        else:
            await _send_rendered(events, rendered.event)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PUSH_SECONDS):
                await live.closing.wait()


async def _send_rendered(events: EventSourceResponse, event: bytes) -> None:
    """The already rendered event's bytes, as `EventSourceResponse.send` writes its own: a
    viewer that stops reading for SEND_TIMEOUT_SECONDS is cut off."""
    try:
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            await events.write(event)
    except ConnectionResetError:
        events.stop_streaming()
        raise
    except TimeoutError:
        events.stop_streaming()
        # What send() does to a stalled peer (aiohttp-sse's helper: a graceful close would
        # wait for it forever).
        events._abort_transport()
        raise


async def close_streams(app: web.Application) -> None:
    """On shutdown: open streams end now instead of holding the server's shutdown timeout."""
    app[CONSOLE].closing.set()
