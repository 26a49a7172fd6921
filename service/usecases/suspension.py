"""A storage suspension started by the usage scan: a system `update` with `{"enabled": false}`,
accepted by the same rules as an API update (the row lock, one operation in flight)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from service.domain.lifecycle import AccountState, OperationKind, can_start
from service.store.models import Operation
from service.store.usage import add_operation_now, has_operation_in_flight, lock_account
from service.usecases.operations import begin_operation


class Refusal(StrEnum):
    BUSY = "busy"  # locked, another operation in flight, or still being created: try again
    NOT_NEEDED = "not_needed"  # already disabled, or dropping / dropped: nothing to suspend


def suspend_account(
    session: Session, account_id: int, reason: str, request_id: str
) -> Operation | Refusal:
    """Queue the update that turns the account's logins off, marked with `reason`, in the
    session's transaction; or say why not."""
    account = lock_account(session, account_id)
    if account is None:
        return Refusal.BUSY
    if not can_start(OperationKind.UPDATE, account.state):
        return Refusal.BUSY if account.state == AccountState.CREATING else Refusal.NOT_NEEDED
    if not account.enabled:
        return Refusal.NOT_NEEDED
    if has_operation_in_flight(session, account_id):
        return Refusal.BUSY
    operation = begin_operation(
        account, OperationKind.UPDATE, {"patch": {"enabled": False}, "reason": reason}, request_id
    )
    if add_operation_now(session, operation) is not None:
        return Refusal.BUSY  # another operation was accepted meanwhile
    return operation
