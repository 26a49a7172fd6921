"""`POST /api/v2/accounts/{name}:move`: move an account to another tenant cluster (an admin
of a FLEET_ORGANIZATIONS organization; the account is one of that organization's)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.moves import AccountMove
from service.store import idempotency
from service.store.models import Operation
from service.usecases.accounts import AcceptContext
from service.usecases.moves import move_account
from service.web.accounts import accept_mutation, account_ref
from service.web.bodies import read_json
from service.web.clusters import fleet_admin
from service.web.responses import result_response

EXAMPLE = 'a JSON object such as {"cluster": "eu-2"}'


async def move_account_handler(request: web.Request) -> web.Response:
    principal = await fleet_admin(request)
    ref = account_ref(request)
    target = AccountMove.parse(await read_json(request, required=EXAMPLE))

    async def run(session: AsyncSession, ctx: AcceptContext) -> Operation:
        return await move_account(session, ctx, ref, target)

    answer = await accept_mutation(
        request,
        principal,
        {"move": str(ref), "cluster": target},
        run,
        account=str(ref),
        key=request.headers.get(idempotency.HEADER),
    )
    return result_response(answer)
