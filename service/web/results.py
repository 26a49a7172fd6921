"""The result resource clients poll after a 202."""

from __future__ import annotations

from aiohttp import web

from service.results import read_result
from service.roles import Permission, allows
from service.web.auth import authorize
from service.web.keys import SEAL, SESSIONS
from service.web.responses import result_response


async def get_result_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    async with request.app[SESSIONS].begin() as session:
        result = await read_result(
            session,
            principal.organization_id,
            request.match_info["handle"],
            request.app[SEAL],
            may_receive_password=allows(principal.role, Permission.MUTATE_ACCOUNTS),
        )
    return result_response(result)
