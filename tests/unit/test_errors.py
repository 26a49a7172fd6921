"""One error hierarchy: each error's status and the contract's code, and the error body."""

from __future__ import annotations

import pytest

from service.domain.errors import (
    AlreadyExists,
    Conflict,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ServiceError,
    Unauthenticated,
    Unavailable,
    error_body,
)


def test_the_error_body_repeats_the_code_as_error_code_and_carries_the_request_id() -> None:
    assert error_body("already_exists", "account MY_ACCT already exists", "req-1") == {
        "code": "already_exists",
        "error_code": "already_exists",
        "message": "account MY_ACCT already exists",
        "request_id": "req-1",
    }


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidArgument, 400, "invalid_argument"),
        (Unauthenticated, 401, "unauthenticated"),
        (PermissionDenied, 403, "permission_denied"),
        (NotFound, 404, "not_found"),
        (AlreadyExists, 409, "already_exists"),
        (Conflict, 409, "conflict"),
        (Internal, 500, "internal"),
        (Unavailable, 503, "unavailable"),
        (ServiceError, 500, "internal"),
    ],
)
def test_each_error_carries_its_status_and_contract_code(
    error: type[ServiceError], status: int, code: str
) -> None:
    raised = error("something went wrong")
    assert raised.status == status
    assert raised.code == code
    assert raised.message == "something went wrong"
    assert raised.headers == {}


def test_an_error_keeps_the_headers_it_is_given() -> None:
    raised = Unauthenticated("no token", headers={"WWW-Authenticate": "Bearer"})
    assert raised.headers == {"WWW-Authenticate": "Bearer"}
    assert str(raised) == "no token"
