"""The result resource clients poll after a 202."""

from __future__ import annotations

import uuid

from aiohttp import web

from service.domain.errors import Internal
from service.domain.results import ResultResponse
from service.domain.roles import Permission, allows
from service.store.results import hand_over_password
from service.web.auth import authorize
from service.web.keys import PEEKS, POOL, SEAL, SETTINGS
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
        peeks = request.app[PEEKS]
        peeked = await peeks.peek(
            principal.organization_id,
            handle,
            may_receive_password=may_receive_password,
            token_id=principal.token_id,
        )
        if peeked is not None:
            return peeked
        # Finished, with a generated password waiting for this caller.
        handed_id = uuid.UUID(handle)
        handed = await hand_over_password(
            request.app[POOL],
            principal.organization_id,
            handed_id,
            request.app[SEAL],
            wait_seconds=request.app[SETTINGS].db_timeout_seconds,
        )
        if handed is not None:
            peeks.states.password_taken(handed_id)
            return handed
        # Another caller took it first: the result now shows it as null.
        shown = await peeks.peek(
            principal.organization_id,
            handle,
            may_receive_password=False,
            token_id=principal.token_id,
            fresh=True,
        )
        if shown is None:  # pragma: no cover - peek answers None only to password receivers
            raise Internal(f"result {handle} could not be read")
        return shown

    result = await read_waiting(request, handle, seconds, read, lambda r: r.status != ACCEPTED)
    return result_response(result)
