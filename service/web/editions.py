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
    """An edition with the limits its accounts get on their tenant cluster."""

    name: Edition
    connection_limit: Annotated[
        int, Field(ge=0, description="Connections the account's login may hold at once.")
    ]
    storage_limit_bytes: Annotated[
        int, Field(ge=0, description="Bytes the account's database may hold.")
    ]


async def list_editions_handler(request: web.Request) -> web.Response:
    await authorize(request, Permission.READ_ACCOUNTS)
    editions: list[EditionView] = [
        {
            "name": edition,
            "connection_limit": limits.connections,
            "storage_limit_bytes": limits.storage_bytes,
        }
        for edition, limits in request.app[SETTINGS].plans().items()
    ]
    return json_response(editions)
