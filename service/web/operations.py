"""The operations resource: read (optionally waiting), list with filters and cursors, cancel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiohttp import web

from service.domain.errors import InvalidArgument
from service.domain.identifiers import parse_uuid
from service.domain.lifecycle import OperationKind, OperationState
from service.domain.refs import parse_account_ref
from service.domain.roles import Permission
from service.store.operation_reads import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    OperationFilter,
    OperationRow,
    get_operation,
    list_operations,
)
from service.usecases.cancellation import cancel_operation
from service.web.auth import authorize
from service.web.keys import PEEKS, REQUEST_ID, SESSIONS
from service.web.operation_view import render_operation
from service.web.paging import next_page_headers
from service.web.query import parse_int, query_params
from service.web.responses import json_response
from service.web.waiting import read_waiting, wait_seconds


async def get_operation_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    handle = request.match_info["handle"]
    seconds = wait_seconds(query_params(request))

    async def read() -> OperationRow:
        async with request.app[SESSIONS]() as session:
            return await get_operation(
                session, principal.organization_id, handle, token_id=principal.token_id
            )

    row = await read_waiting(request, handle, seconds, read, lambda r: r.operation.done)
    return json_response(render_operation(row))


def _choice(
    params: dict[str, str], name: str, enum: type[OperationState] | type[OperationKind]
) -> str | None:
    value = params.get(name)
    allowed = [member.value for member in enum]
    if value is not None and value not in allowed:
        raise InvalidArgument(f"{name} must be one of {', '.join(allowed)}, got {value[:40]!r}")
    return value


def _since(params: dict[str, str]) -> datetime | None:
    value = params.get("since")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)  # also proves it fits the database's range
    except (ValueError, OverflowError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidArgument(
            f"since must be an RFC 3339 time with an offset (2026-11-23T10:00:00+00:00), "
            f"got {value[:40]!r}"
        )
    return moment


def _filters(params: dict[str, str]) -> OperationFilter:
    state = _choice(params, "state", OperationState)
    kind = _choice(params, "kind", OperationKind)
    account = params.get("account")
    return OperationFilter(
        state=OperationState(state) if state else None,
        kind=OperationKind(kind) if kind else None,
        account=parse_account_ref(account, field="account") if account is not None else None,
        since=_since(params),
        requested_by=_token_id(params),
    )


def _token_id(params: dict[str, str]) -> uuid.UUID | None:
    value = params.get("requestedBy")
    if value is None:
        return None
    token_id = parse_uuid(value)
    if token_id is None:
        raise InvalidArgument(f"requestedBy must be a token id (a UUID), got {value[:40]!r}")
    return token_id


async def list_operations_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.READ_ACCOUNTS)
    params = query_params(request)
    filters = _filters(params)
    limit = parse_int(params, "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
    async with request.app[SESSIONS]() as session:
        rows, following = await list_operations(
            session, principal.organization_id, filters, limit=limit, cursor=params.get("cursor")
        )
    headers = next_page_headers(request, following)
    return json_response([render_operation(row) for row in rows], headers=headers)


async def cancel_operation_handler(request: web.Request) -> web.Response:
    principal = await authorize(request, Permission.MUTATE_ACCOUNTS)
    handle = request.match_info["handle"]
    async with request.app[SESSIONS].begin() as session:
        await cancel_operation(session, principal, handle, request[REQUEST_ID])
    # Committed: this process's polls see it at once, not when the NOTIFY comes back.
    request.app[PEEKS].states.announced(handle)
    async with request.app[SESSIONS]() as session:
        row = await get_operation(session, principal.organization_id, handle)
    return json_response(render_operation(row))
