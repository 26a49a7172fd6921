"""The accounts resource: list, create, get, drop and undrop."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from service.accounts import (
    AcceptContext,
    create_account,
    drop_account,
    rotate_credentials,
    undrop_account,
)
from service.errors import InvalidArgument
from service.listing import MAX_SHOW_LIMIT, get_account, list_accounts
from service.models import Operation
from service.names import normalize_account_name
from service.results import accepted, success_body
from service.roles import Permission
from service.schemas import AccountCreate, render_account
from service.web.auth import authorize
from service.web.keys import PUBLISHER, REQUEST_ID, SEAL, SESSIONS, SETTINGS
from service.web.passwords import new_password
from service.web.query import parse_bool, parse_int, query_params
from service.web.responses import json_response, result_response

log = logging.getLogger(__name__)


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
        )
    return json_response([render_account(a, principal.organization_name) for a in accounts])


async def get_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    name = normalize_account_name(request.match_info["name"])
    async with request.app[SESSIONS]() as session:
        account = await get_account(session, principal.organization_id, name)
    return json_response(render_account(account, principal.organization_name))


async def create_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    settings = request.app[SETTINGS]
    body = AccountCreate.parse(
        await _json_body(request),
        regions=settings.regions,
        default_region=settings.default_region,
        region_group=settings.region_group,
    )
    ctx = AcceptContext(principal, request[REQUEST_ID])
    password = await new_password(body.admin_password, request.app[SEAL])
    async with request.app[SESSIONS].begin() as session:
        operation = await create_account(session, ctx, body, password)
    return await _accepted(request, operation)


async def drop_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    name = normalize_account_name(request.match_info["name"])
    params = query_params(request)
    grace_days = parse_int(params, "gracePeriodInDays", low=3, high=90)
    if_exists = parse_bool(params, "ifExists", default=False)
    ctx = AcceptContext(principal, request[REQUEST_ID])
    async with request.app[SESSIONS].begin() as session:
        operation = await drop_account(session, ctx, name, grace_days, if_exists=if_exists)
    if operation is None:
        return json_response(success_body(message=f"account {name} does not exist or is dropped"))
    return await _accepted(request, operation)


async def undrop_account_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    name = normalize_account_name(request.match_info["name"])
    ctx = AcceptContext(principal, request[REQUEST_ID])
    async with request.app[SESSIONS].begin() as session:
        operation = await undrop_account(session, ctx, name)
    return await _accepted(request, operation)


async def rotate_credentials_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    name = normalize_account_name(request.match_info["name"])
    ctx = AcceptContext(principal, request[REQUEST_ID])
    password = await new_password(None, request.app[SEAL])
    async with request.app[SESSIONS].begin() as session:
        operation = await rotate_credentials(session, ctx, name, password)
    return await _accepted(request, operation)


async def _json_body(request: web.Request) -> object:
    raw = await request.read()
    if not raw.strip():
        raise InvalidArgument("request body is required: a JSON Account object")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidArgument("request body is not valid JSON") from None


async def _accepted(request: web.Request, operation: Operation) -> web.Response:
    """Answer 202 for a committed operation, after handing it to the workers."""
    try:
        await request.app[PUBLISHER].enqueue(operation.kind, operation.id)
    except Exception:  # the row is committed: the republish sweep will hand it over
        log.warning(
            "could not publish operation %s request_id=%s; the sweep will republish it",
            operation.id,
            request[REQUEST_ID],
            exc_info=True,
        )
    log.info(
        "accepted %s operation %s request_id=%s",
        operation.kind.value,
        operation.id,
        request[REQUEST_ID],
    )
    return result_response(accepted(operation.id))
