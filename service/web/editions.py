"""`GET /api/v2/editions`: each edition with its limits (the plan table)."""

from __future__ import annotations

from aiohttp import web

from service.domain.roles import Permission
from service.domain.schemas import Edition
from service.web.auth import authorize
from service.web.keys import SETTINGS
from service.web.responses import json_response


async def list_editions_handler(request: web.Request) -> web.Response:
    await authorize(request, Permission.READ_ACCOUNTS)
    limits = request.app[SETTINGS].edition_connection_limits
    return json_response(
        [{"name": edition.value, "connection_limit": limits[edition.value]} for edition in Edition]
    )
