"""One error hierarchy; each error carries its HTTP status and the contract's error code."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

ErrorCode = Literal[
    "invalid_argument",
    "unauthenticated",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "already_exists",
    "conflict",
    "gone",
    "rate_limited",
    "internal",
    "unavailable",
    "timeout",
]


class ServiceError(Exception):
    """`internal`: the service failed."""

    status: ClassVar[int] = 500
    code: ClassVar[ErrorCode] = "internal"

    def __init_subclass__(cls, *, status: int, code: ErrorCode) -> None:
        super().__init_subclass__()
        cls.status = status
        cls.code = code

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class InvalidArgument(ServiceError, status=400, code="invalid_argument"):
    """`invalid_argument`: a parameter, header or body is invalid; a body's message lists every
    invalid field."""


class Unauthenticated(ServiceError, status=401, code="unauthenticated"):
    """`unauthenticated`: no, a malformed, an unknown, a revoked or an expired token."""


class PermissionDenied(ServiceError, status=403, code="permission_denied"):
    """`permission_denied`: the token's role may not do this."""


class NotFound(ServiceError, status=404, code="not_found"):
    """`not_found`: no such object in the caller's organization."""


class AlreadyExists(ServiceError, status=409, code="already_exists"):
    """`already_exists`: the name or `external_id` is taken."""


class Conflict(ServiceError, status=409, code="conflict"):
    """`conflict`: an operation is in flight for the account (the message names its handle),
    the account is in the wrong state, `deletion_protection` is on, or an `Idempotency-Key` was
    reused for another request."""


class PayloadTooLarge(ServiceError, status=413, code="invalid_argument"):
    """The body is larger than 1 MiB (`invalid_argument`)."""


class RateLimited(ServiceError, status=429, code="rate_limited"):
    """`rate_limited`: this token is over its rate; retry after `Retry-After` seconds."""


class Internal(ServiceError, status=500, code="internal"):
    """`internal`: the service failed."""


class Unavailable(ServiceError, status=503, code="unavailable"):
    """`unavailable`: the database (or, for `/readyz` and `/api/v2/queues`, a dependency) does
    not answer; retry after `Retry-After` seconds."""


@with_config(ConfigDict(extra="forbid", title="ErrorResponse"))
class ErrorBody(TypedDict):
    """Every 4xx/5xx body."""

    code: Annotated[ErrorCode, Field(description="Stable error code.")]
    error_code: Annotated[ErrorCode, Field(description="Same as `code` (kept for older clients).")]
    message: Annotated[str, Field(description="What went wrong, naming the field or object.")]
    request_id: Annotated[
        str, Field(description="The request's id (as in X-Snowflake-Request-ID).")
    ]


def error_body(code: ErrorCode, message: str, request_id: str) -> dict[str, Any]:
    """The contract's error body; `error_code` repeats `code` for older clients."""
    body: ErrorBody = {
        "code": code,
        "error_code": code,
        "message": message,
        "request_id": request_id,
    }
    # Typed as the wire shape; the callers store it as an operation's JSON body.
    return cast("dict[str, Any]", body)
