"""`GET /api/v2/session`: who the caller's token is, so a page offers only what it may do."""

from __future__ import annotations

from aiohttp import web
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from service.domain.roles import GRANTS, Permission, Role
from service.web.auth import authorize
from service.web.responses import json_response


@with_config(ConfigDict(extra="forbid", title="Session"))
class SessionView(TypedDict):
    """The caller's organization, role and what the role allows."""

    organization_name: str
    role: Role
    permissions: list[Permission]


async def get_session_handler(request: web.Request) -> web.Response:
    # Every role may read accounts: any valid token gets its answer.
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    view: SessionView = {
        "organization_name": principal.organization_name,
        "role": principal.role,
        "permissions": sorted(GRANTS[principal.role]),
    }
    return json_response(view)
