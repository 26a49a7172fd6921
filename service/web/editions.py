"""`GET /api/v2/editions`: each edition with its limits (the plan table)."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from service.domain.roles import Permission
from service.domain.schemas import Edition
from service.web.auth import authorize
from service.web.keys import SETTINGS
from service.web.responses import json_response


@with_config(ConfigDict(extra="forbid"))
class EditionView(TypedDict):
    """An edition with the limits the driver applies."""

    name: Edition
    connection_limit: Annotated[int, Field(ge=0)]


async def list_editions_handler(request: web.Request) -> web.Response:
    await authorize(request, Permission.READ_ACCOUNTS)
    limits = request.app[SETTINGS].edition_connection_limits
    editions: list[EditionView] = [
        {"name": edition, "connection_limit": limits[edition.value]} for edition in Edition
    ]
    return json_response(editions)
