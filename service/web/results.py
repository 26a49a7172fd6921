"""The result resource clients poll after a 202."""

from __future__ import annotations

from aiohttp import web

from service.results import ResultResponse, peek_result, read_result
from service.roles import Permission, allows
from service.web.auth import authorize
from service.web.keys import POOL, SEAL, SESSIONS, SETTINGS
from service.web.query import query_params
from service.web.responses import result_response
from service.web.waiting import read_waiting, wait_seconds

ACCEPTED = 202


async def get_result_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    handle = request.match_info["handle"]
    seconds = wait_seconds(query_params(request))

    may_receive_password = allows(principal.role, Permission.MUTATE_ACCOUNTS)

    async def read() -> ResultResponse:
        peeked = await peek_result(
            request.app[POOL],
            principal.organization_id,
            handle,
            may_receive_password=may_receive_password,
            acquire_seconds=request.app[SETTINGS].db_timeout_seconds,
        )
        if peeked is not None:
            return peeked
        async with request.app[SESSIONS].begin() as session:
            return await read_result(
                session,
                principal.organization_id,
                handle,
                request.app[SEAL],
                may_receive_password=may_receive_password,
            )

    result = await read_waiting(request, handle, seconds, read, lambda r: r.status != ACCEPTED)
    return result_response(result)
