"""The accounts resource: list, create, get, drop, undrop, rotate credentials, purge now."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from service.adapters.hand_over_log import log_publish_failed, log_queued
from service.domain.lifecycle import MAX_GRACE_DAYS, MIN_GRACE_DAYS
from service.domain.patches import AccountPatch
from service.domain.refs import AccountRef, parse_account_ref
from service.domain.results import ResultResponse, accepted, success_body
from service.domain.roles import Permission, Role, allows
from service.domain.schemas import AccountCreate, Edition
from service.domain.tokens import Principal
from service.settings import Settings
from service.store import idempotency
from service.store.listing import (
    MAX_SHOW_LIMIT,
    list_accounts,
    read_account,
    usage_of_accounts,
)
from service.store.models import Operation
from service.usecases.accounts import (
    AcceptContext,
    Queued,
    create_account,
    drop_account,
    rotate_credentials,
    undrop_account,
    update_account,
)
from service.usecases.purge_now import purge_account
from service.web.account_view import render_account
from service.web.auth import authorize
from service.web.bodies import decode_json, plain_object, read_body, read_json
from service.web.create_batches import CreateRequest
from service.web.keys import (
    CREATES,
    METRICS,
    POOL,
    PUBLISHER,
    REQUEST_ID,
    SEAL,
    SESSIONS,
    SETTINGS,
)
from service.web.passwords import new_password
from service.web.query import parse_bool, parse_int, query_params
from service.web.responses import accepted_response, json_response, result_response

log = structlog.get_logger(__name__)

UseCase = Callable[[AsyncSession, AcceptContext], Awaitable[Operation | Queued | None]]
RefUseCase = Callable[[AsyncSession, AcceptContext, AccountRef], Awaitable[Operation]]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def account_ref(request: web.Request) -> AccountRef:
    """The account the path names: its name, `id:<uuid>` or `externalId:<value>`."""
    return parse_account_ref(request.match_info["name"])


async def list_accounts_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    params = query_params(request)
    show_limit = parse_int(params, "showLimit", low=1, high=MAX_SHOW_LIMIT, default=MAX_SHOW_LIMIT)
    history = parse_bool(params, "history", default=False)
    async with request.app[SESSIONS]() as session:
        accounts = await list_accounts(
            session,
            principal.organization_id,
            like=params.get("like"),
            show_limit=show_limit,
            from_name=params.get("fromName"),
            history=history,
            external_id=params.get("externalId"),
            order_by=params.get("orderBy", "name"),
        )
        usage = await usage_of_accounts(session, [account.id for account in accounts])
    plans = request.app[SETTINGS].plans()
    owner = allows(principal.role, Permission.READ_OWNERS)
    return json_response(
        [
            render_account(
                account,
                principal.organization_name,
                usage=usage.get(account.id),
                limits=plans[Edition(account.edition)],
                owner=owner,
                show_cluster=principal.role == Role.ADMIN,
            )
            for account in accounts
        ]
    )


async def get_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    ref = account_ref(request)
    settings = request.app[SETTINGS]
    account, usage = await read_account(
        request.app[POOL], principal.organization_id, ref, wait_seconds=settings.db_timeout_seconds
    )
    limits = settings.plans()[Edition(account.edition)]
    return json_response(
        render_account(
            account,
            principal.organization_name,
            usage=usage,
            limits=limits,
            owner=allows(principal.role, Permission.READ_OWNERS),
            show_cluster=principal.role == Role.ADMIN,
        )
    )


async def create_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    settings = request.app[SETTINGS]
    raw = await read_body(request, required="a JSON Account object")
    body = _create_body(raw, settings)
    password = new_password(body.admin_password, request.app[SEAL])
    if request.headers.get(idempotency.HEADER) is None:
        # The common case: written with the creates that arrive meanwhile, one statement and one
        # commit for all, and published with them.
        ctx = AcceptContext(principal, request[REQUEST_ID], settings.regions)
        queued = await request.app[CREATES].submit(CreateRequest(ctx, body, password))
        if queued is not None:
            # Logged with its batch (`operations.queued`).
            request.app[METRICS].count_accepted(queued.kind)
        else:
            # Its row met a unique index: written alone, it says which (or gets a new locator).
            async with request.app[SESSIONS].begin() as session:
                queued = await create_account(session, ctx, body, password)
            await _hand_over(request, queued, body.name)
        return accepted_response(queued.id)

    async def run(session: AsyncSession, ctx: AcceptContext) -> Queued:
        # In the transaction that records the Idempotency-Key.
        return await create_account(session, ctx, body, password)

    summary = {"create": decode_json(raw)}
    return await _accept(request, principal, summary, run, account=body.name)


def _create_body(raw: bytes, settings: Settings) -> AccountCreate:
    """The create `raw` asks for, validated from its bytes in one pass when it is a plain valid
    one, else decoded and described. Regions are the tenant cluster registry's: placement
    refuses an unknown one (400)."""
    defaults = {"default_region": settings.default_region, "region_group": settings.region_group}
    body = AccountCreate.parse_json(raw, regions=None, **defaults) if plain_object(raw) else None
    if body is None:
        body = AccountCreate.parse(decode_json(raw), regions=None, **defaults)
    return body


async def drop_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    ref = account_ref(request)
    params = query_params(request)
    grace_days = parse_int(params, "gracePeriodInDays", low=MIN_GRACE_DAYS, high=MAX_GRACE_DAYS)
    if_exists = parse_bool(params, "ifExists", default=False)

    async def run(session: AsyncSession, ctx: AcceptContext) -> Operation | None:
        return await drop_account(session, ctx, ref, grace_days, if_exists=if_exists)

    summary = {"drop": str(ref), "gracePeriodInDays": grace_days, "ifExists": if_exists}
    return await _accept(request, principal, summary, run, account=str(ref))


async def rotate_credentials_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    ref = account_ref(request)
    password = new_password(None, request.app[SEAL])

    async def run(session: AsyncSession, ctx: AcceptContext) -> Operation:
        return await rotate_credentials(session, ctx, ref, password)

    summary = {"rotateCredentials": str(ref)}
    return await _accept(request, principal, summary, run, account=str(ref))


def _action_handler(permission: Permission, use_case: RefUseCase, verb: str) -> Handler:
    """The handler of an action on one account that takes nothing but the account."""

    async def handler(request: web.Request) -> web.Response:
        principal = await authorize(request, permission)
        ref = account_ref(request)

        async def run(session: AsyncSession, ctx: AcceptContext) -> Operation:
            return await use_case(session, ctx, ref)

        return await _accept(request, principal, {verb: str(ref)}, run, account=str(ref))

    return handler


undrop_account_handler = _action_handler(Permission.MUTATE_ACCOUNTS, undrop_account, "undrop")
purge_account_handler = _action_handler(Permission.PURGE_ACCOUNTS, purge_account, "purge")


async def update_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    ref = account_ref(request)
    raw = await read_json(request, required="a JSON Account object")
    changes = AccountPatch.parse(raw)

    async def run(session: AsyncSession, ctx: AcceptContext) -> Operation:
        return await update_account(session, ctx, ref, changes, request.app[SETTINGS].plans())

    summary = {"update": str(ref), "patch": raw}
    return await _accept(request, principal, summary, run, account=str(ref))


async def _accept(
    request: web.Request,
    principal: Principal,
    summary: dict[str, Any],
    run: UseCase,
    *,
    account: str,
) -> web.Response:
    """Run one mutation with the request's Idempotency-Key header; the HTTP answer."""
    key = request.headers.get(idempotency.HEADER)
    answer = await accept_mutation(request, principal, summary, run, account=account, key=key)
    return result_response(answer)


async def accept_mutation(
    request: web.Request,
    principal: Principal,
    summary: dict[str, Any],
    run: UseCase,
    *,
    account: str,
    key: str | None,
) -> ResultResponse:
    """Run one mutation in one transaction (honouring the idempotency `key`), commit, publish.
    REST passes its Idempotency-Key header; GraphQL each mutation's own `idempotencyKey`."""
    key = idempotency.validate_key(key)
    ctx = AcceptContext(principal, request[REQUEST_ID], request.app[SETTINGS].regions)
    organization_id = principal.organization_id
    async with request.app[SESSIONS].begin() as session:
        if key is not None:
            fingerprint = idempotency.fingerprint(request.app[SEAL], summary)
            replay = await idempotency.reserve(session, organization_id, key, fingerprint)
            if replay is not None:
                return replay
        started = await run(session, ctx)
        queued = Queued(started.kind, started.id) if isinstance(started, Operation) else started
        answer = (
            accepted(queued.id)
            if queued is not None
            else ResultResponse(200, success_body(message="nothing to do: no such active account"))
        )
        if key is not None:
            await idempotency.remember(session, organization_id, key, answer)
    if queued is not None:
        await _hand_over(request, queued, account)
    return answer


async def _hand_over(request: web.Request, queued: Queued, account: str) -> None:
    """Publish a committed operation; if that fails, the republish sweep will."""
    try:
        await request.app[PUBLISHER].enqueue(queued.kind, queued.id)
    except Exception:
        log_publish_failed(log, queued.id, queued.kind, account=account, exc_info=True)
    _count_and_log(request, queued, account)


def _count_and_log(request: web.Request, queued: Queued, account: str) -> None:
    request.app[METRICS].count_accepted(queued.kind)
    log_queued(log, queued.id, queued.kind, account=account)
