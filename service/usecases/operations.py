"""What starting, completing and failing an operation does to the account and operation rows.

Pure functions over the ORM objects, shared by the API (accept) and the workers (finish); the
caller owns the transaction and the row locks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from service.domain.errors import Conflict, Internal, ServiceError, error_body
from service.domain.lifecycle import (
    SUCCESS_STAMPS,
    TRANSITIONS,
    OperationKind,
    OperationState,
    Stamp,
)
from service.domain.results import success_body
from service.store.models import Account, Operation


@dataclass(frozen=True)
class DriverOutcome:
    """What a provisioning step reports back, written onto the account."""

    account_url: str | None = None
    account_locator_url: str | None = None
    # user, database, host, port and url; the password is added when the result is handed over.
    credentials: dict[str, Any] | None = None
    # Said to the caller in the success body, e.g. a new plan below what the account uses now.
    warnings: list[str] = field(default_factory=list)


def begin_operation(
    account: Account, kind: OperationKind, request: dict[str, Any], request_id: str
) -> Operation:
    """Move the account into the kind's pending state and build its queued operation."""
    account.state = TRANSITIONS[kind].pending
    return Operation(
        id=uuid.uuid4(),
        organization_id=account.organization_id,
        account_id=account.id,
        kind=kind,
        state=OperationState.QUEUED,
        request=request,
        request_id=request_id,
        attempts=0,
    )


def complete_operation(
    operation: Operation, account: Account, outcome: DriverOutcome, now: datetime
) -> None:
    kind = operation.kind
    account.state = TRANSITIONS[kind].succeeded
    for column, value in stamped_values(kind, operation.request, outcome, now).items():
        setattr(account, column, value)
    if kind == OperationKind.UPDATE:
        _apply_patch(account, operation.request["patch"], outcome, now)
    elif kind == OperationKind.MOVE:
        account.cluster = str(operation.request["cluster"])
        account.account_url = outcome.account_url or account.account_url
        account.account_locator_url = outcome.account_locator_url or account.account_locator_url
    _finish(operation, OperationState.SUCCEEDED, 200, success_answer(outcome), now)


def stamped_values(
    kind: OperationKind, request: dict[str, Any], outcome: DriverOutcome, now: datetime
) -> dict[str, Any]:
    """The account columns success writes besides the state (`SUCCESS_STAMPS`), with values."""
    values: dict[str, Any] = {}
    for column, stamp in SUCCESS_STAMPS.get(kind, {}).items():
        if stamp is Stamp.NOW:
            values[column] = now
        elif stamp is Stamp.GRACE_END:
            values[column] = now + timedelta(days=int(request["grace_period_days"]))
        elif stamp is Stamp.REPORTED:
            values[column] = getattr(outcome, column)
        else:
            values[column] = None
    return values


def success_answer(outcome: DriverOutcome) -> dict[str, Any]:
    """The result body of a success: the credentials (without the password) and warnings."""
    extra: dict[str, Any] = (
        {} if outcome.credentials is None else {"credentials": {**outcome.credentials}}
    )
    if outcome.warnings:
        extra["warnings"] = list(outcome.warnings)
    return success_body(**extra)


PATCHABLE = ("name", "comment", "edition", "enabled", "deletion_protection", "external_id")


def _apply_patch(
    account: Account, patch: dict[str, Any], outcome: DriverOutcome, now: datetime
) -> None:
    for field_name in PATCHABLE:
        if field_name in patch:
            setattr(account, field_name, patch[field_name])
    if outcome.account_url is not None and outcome.account_url != account.account_url:
        # A rename that moves the account's URL keeps the old one, as Snowflake does.
        account.old_account_url = account.account_url
        account.account_old_url_saved_on = now
        account.account_url = outcome.account_url
        account.account_locator_url = outcome.account_locator_url or account.account_locator_url


def fail_operation(
    operation: Operation,
    account: Account,
    reason: str,
    now: datetime,
    request_id: str,
    *,
    conflict: bool = False,
) -> None:
    """Leave the account as the transition table says and record the error as the result:
    a 409 when the request collided with another (`conflict`), else a 500."""
    account.state = TRANSITIONS[operation.kind].failed
    message = f"{operation.kind.value} of account {account.name} failed: {reason}"
    error: ServiceError = Conflict(message) if conflict else Internal(message)
    operation.error = reason
    body = error_body(error.code, error.message, request_id)
    _finish(operation, OperationState.FAILED, error.status, body, now)


def cancel_queued_operation(
    operation: Operation, account: Account, now: datetime, request_id: str
) -> None:
    """A queued operation never runs: the account goes back to the state it had (a canceled
    create leaves it FAILED, which frees the name)."""
    account.state = TRANSITIONS[operation.kind].failed
    operation.sealed_password = None
    message = f"operation {operation.id} ({operation.kind.value} of {account.name}) was canceled"
    _finish(
        operation, OperationState.CANCELED, 409, error_body("conflict", message, request_id), now
    )


def _finish(
    operation: Operation, state: OperationState, status: int, body: dict[str, Any], now: datetime
) -> None:
    operation.state = state
    operation.password_verifier = None
    if state != OperationState.SUCCEEDED or operation.password_given:
        operation.sealed_password = None  # never handed over: nobody will ever need it
    operation.response_status = status
    operation.response_body = body
    operation.finished_at = now
