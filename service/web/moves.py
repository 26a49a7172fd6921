"""`POST /api/v2/accounts/{name}:move`: move an account to another tenant cluster (an admin
of a FLEET_ORGANIZATIONS organization; the account is one of that organization's)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.clusters import cluster_name
from service.domain.moves import AccountMove, FleetMove
from service.store import idempotency
from service.store.models import Operation
from service.usecases.accounts import AcceptContext
from service.usecases.moves import move_account, move_fleet_account
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


async def move_fleet_account_handler(request: web.Request) -> web.Response:
    """`POST /api/v2/clusters/{name}:move` with `{"account": "<id>"}`: the same move, of an
    account of any organization (a fleet admin draining a cluster)."""
    principal = await fleet_admin(request)
    target = cluster_name(request.match_info["name"])
    public_id = FleetMove.parse(await read_json(request, required='{"account": "<id>"}'))

    async def run(session: AsyncSession, ctx: AcceptContext) -> Operation:
        return await move_fleet_account(session, ctx, public_id, target)

    answer = await accept_mutation(
        request,
        principal,
        {"move": f"id:{public_id}", "cluster": target},
        run,
        account=f"id:{public_id}",
        key=request.headers.get(idempotency.HEADER),
    )
    return result_response(answer)
