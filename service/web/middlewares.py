"""Request ids on every response, and every error rendered once into the contract's body."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import asyncpg
import structlog
from aiohttp import web
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from service.adapters.logs import error_text
from service.domain.errors import ErrorCode, ServiceError
from service.domain.identifiers import uuid4_text
from service.web.keys import REQUEST_ID
from service.web.responses import error_response

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID_HEADER = "X-Snowflake-Request-ID"
CLIENT_REQUEST_ID_HEADER = "X-Request-ID"
MAX_CLIENT_REQUEST_ID = 128

# The hot-path pool's errors when the server is down, restarting or unreachable in time.
ASYNCPG_OUTAGES = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    TimeoutError,
)
_CODE_FOR_STATUS: dict[int, ErrorCode] = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "invalid_argument",
    429: "rate_limited",
    503: "unavailable",
    504: "timeout",
}


def choose_request_id(client_value: str | None) -> str:
    """The client's `X-Request-ID` when it is short and printable, else a new UUID."""
    if client_value and len(client_value) <= MAX_CLIENT_REQUEST_ID and client_value.isprintable():
        return client_value
    # A random version-4 UUID from the process's PRNG: a request id correlates lines, it guards
    # nothing, and uuid4()'s read of the OS random source was ~5 % of a poll's samples.
    return uuid4_text(random.getrandbits(128))


def _framework_message(request: web.Request, exc: web.HTTPException) -> str:
    if exc.status == HTTPStatus.NOT_FOUND:
        return f"no such resource: {request.method} {request.path}"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"method {request.method} is not allowed on {request.path} (allowed: {allowed})"
    if exc.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return "request body is too large"
    return exc.reason


def is_database_outage(exc: Exception) -> bool:
    if isinstance(exc, PoolTimeoutError | OperationalError | InterfaceError | OSError):
        return True
    if isinstance(exc, ASYNCPG_OUTAGES):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@web.middleware
async def request_id_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = choose_request_id(request.headers.get(CLIENT_REQUEST_ID_HEADER))
    request[REQUEST_ID] = request_id
    # Every line logged while handling the request carries its id; reset when it is answered
    # (by token: `bound_contextvars` copies the whole context first, a few % of a request).
    bound = structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await _answer(request, handler, request_id)
    finally:
        structlog.contextvars.reset_contextvars(**bound)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


async def _answer(request: web.Request, handler: Handler, request_id: str) -> web.StreamResponse:
    try:
        return await handler(request)
    except ServiceError as exc:
        return error_response(request, exc.status, exc.code, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < HTTPStatus.BAD_REQUEST:
            raise
        code: ErrorCode = _CODE_FOR_STATUS.get(exc.status, "internal")
        # Keep what the framework said about the answer, e.g. Allow on a 405.
        kept = {name: exc.headers[name] for name in ("Allow",) if name in exc.headers}
        return error_response(request, exc.status, code, _framework_message(request, exc), kept)
    except Exception as exc:
        if is_database_outage(exc):
            log.warning("database.unavailable", error=error_text(exc))
            return error_response(
                request,
                503,
                "unavailable",
                "the database is unavailable; retry later",
                {"Retry-After": "5"},
            )
        log.exception("request.failed")
        return error_response(request, 500, "internal", f"internal error (request id {request_id})")
