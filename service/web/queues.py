"""`GET /api/v2/queues`: the operator's view, cached for a moment and bounded in time."""

from __future__ import annotations

import time
from datetime import timedelta

from aiohttp import web

from service.adapters.queue_report import queue_report
from service.domain.roles import Permission
from service.web.auth import authorize
from service.web.deadlines import answer_within
from service.web.keys import QUEUE_REPORTS, REDIS, SESSIONS, SETTINGS
from service.web.queue_view import render_queue_report
from service.web.responses import json_response

CACHE_SECONDS = 2.0
TIMEOUT_SECONDS = 3.0


async def get_queues_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.WATCH_QUEUES)
    cache = request.app[QUEUE_REPORTS]
    cached = cache.get(principal.organization_id)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return json_response(cached[1])
    settings = request.app[SETTINGS]
    async with (
        answer_within(TIMEOUT_SECONDS, "the queue report"),
        request.app[SESSIONS]() as session,
    ):
        gathered = await queue_report(
            session,
            request.app[REDIS],
            queue=settings.queue_name,
            organization_id=principal.organization_id,
            stuck_after=timedelta(seconds=settings.stranded_after_seconds),
        )
    report = render_queue_report(gathered)
    cache[principal.organization_id] = (time.monotonic(), report)
    return json_response(report)
