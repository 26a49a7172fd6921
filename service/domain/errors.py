"""One error hierarchy; each error carries its HTTP status and the contract's error code."""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class InvalidArgument(ServiceError):
    status = 400
    code = "invalid_argument"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class PermissionDenied(ServiceError):
    status = 403
    code = "permission_denied"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class AlreadyExists(ServiceError):
    status = 409
    code = "already_exists"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


class Internal(ServiceError):
    status = 500
    code = "internal"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"


def error_body(code: str, message: str, request_id: str) -> dict[str, str]:
    """The contract's error body; `error_code` repeats `code` for older clients."""
    return {"code": code, "error_code": code, "message": message, "request_id": request_id}
