"""The tokens resource (role admin): create (shown once), list (never the secret), revoke."""

from __future__ import annotations

from aiohttp import web

from service.domain.roles import Permission
from service.domain.tokens import TokenRequest
from service.store import token_admin
from service.web.auth import authorize
from service.web.bodies import read_json
from service.web.keys import SESSIONS, TOKEN_CACHE
from service.web.query import parse_bool, query_params
from service.web.responses import json_response
from service.web.token_view import render_new_token, render_revoked_token, render_token


async def create_token_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MANAGE_TOKENS)
    body = await read_json(request, required='a JSON object such as {"role": "viewer"}')
    token_request = TokenRequest.parse(body)
    async with request.app[SESSIONS].begin() as session:
        issued = await token_admin.issue(session, principal, token_request)
    return json_response(render_new_token(issued.record, issued.token), status=201)


async def list_tokens_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MANAGE_TOKENS)
    include_revoked = parse_bool(query_params(request), "includeRevoked", default=False)
    async with request.app[SESSIONS]() as session:
        records = await token_admin.list_tokens(session, principal, include_revoked=include_revoked)
    return json_response([render_token(record) for record in records])


async def revoke_token_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MANAGE_TOKENS)
    async with request.app[SESSIONS].begin() as session:
        record = await token_admin.revoke(session, principal, request.match_info["token_id"])
        view = render_revoked_token(record)
    # This process forgets the token now; the others when the trigger's NOTIFY reaches them.
    request.app[TOKEN_CACHE].changed(record.token_hash)
    return json_response(view)
