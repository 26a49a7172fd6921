"""The one place GraphQL errors are translated: `extensions.code` is the REST error code."""

from __future__ import annotations

from typing import Any, cast

import structlog
from graphql import GraphQLError

from service.adapters.logs import error_text
from service.domain.errors import ErrorCode, ServiceError
from service.web.middlewares import is_database_outage

log = structlog.get_logger(__name__)


def _code_and_message(error: GraphQLError, request_id: str) -> tuple[ErrorCode, str]:
    original = error.original_error
    if isinstance(original, ServiceError):
        return original.code, original.message
    if original is None or error.path is None:
        # Parsing, validation (including the depth, cost and size limits), variable coercion.
        return "invalid_argument", error.message
    if isinstance(original, Exception) and is_database_outage(original):
        log.warning("database.unavailable", error=error_text(original))
        return "unavailable", "the database is unavailable; retry later"
    log.error("graphql.resolver_failed", path=error.path, exc_info=original)
    return "internal", f"internal error (request id {request_id})"


def render_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """The error as GraphQL formats it, with the contract's code and the request's id."""
    code, message = _code_and_message(error, request_id)
    formatted = dict(error.formatted)
    formatted["message"] = message
    formatted["extensions"] = {
        **cast("dict[str, Any]", formatted.get("extensions") or {}),
        "code": code,
        "request_id": request_id,
    }
    return formatted
