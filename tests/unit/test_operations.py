"""What starting, completing and failing each operation does to in-memory account/operation rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.domain.lifecycle import GONE_STATES, AccountState, OperationKind, OperationState
from service.store.models import Account, Operation
from service.usecases.operations import (
    DriverOutcome,
    begin_operation,
    complete_operation,
    fail_operation,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
EARLIER = datetime(2026, 2, 1, 12, 0, 0, tzinfo=UTC)
SUCCESS = {"status": "Request successfully completed"}


def account_in(state: AccountState, **changes: Any) -> Account:
    fields: dict[str, Any] = {
        "id": 7,
        "organization_id": 3,
        "name": "MY_ACCT",
        "state": state,
        "account_locator": "AB12345",
        "edition": "STANDARD",
        "region": "AWS_US_WEST_2",
    }
    fields.update(changes)
    return Account(**fields)


def started(
    kind: OperationKind, source: AccountState, request: dict[str, Any] | None = None, **changes: Any
) -> tuple[Account, Operation]:
    account = account_in(source, **changes)
    operation = begin_operation(account, kind, request or {}, "req-1")
    return account, operation


def test_beginning_an_operation_queues_it_and_moves_the_account_to_pending() -> None:
    account = account_in(AccountState.ACTIVE)
    operation = begin_operation(account, OperationKind.DROP, {"grace_period_days": 5}, "req-1")
    assert account.state == AccountState.DROPPING
    assert operation.kind == OperationKind.DROP
    assert operation.state == OperationState.QUEUED
    assert operation.account_id == 7
    assert operation.organization_id == 3
    assert operation.request == {"grace_period_days": 5}
    assert operation.request_id == "req-1"
    assert operation.attempts == 0
    assert operation.finished_at is None
    assert operation.response_status is None


@pytest.mark.parametrize(
    ("kind", "source", "pending"),
    [
        (OperationKind.CREATE, AccountState.CREATING, AccountState.CREATING),
        (OperationKind.DROP, AccountState.ACTIVE, AccountState.DROPPING),
        (OperationKind.UNDROP, AccountState.DROPPED, AccountState.UNDROPPING),
        (OperationKind.PURGE, AccountState.DROPPED, AccountState.PURGING),
    ],
)
def test_each_kind_begins_in_its_pending_state(
    kind: OperationKind, source: AccountState, pending: AccountState
) -> None:
    account, _ = started(kind, source)
    assert account.state == pending


def test_each_operation_gets_a_new_random_handle() -> None:
    _, first = started(OperationKind.CREATE, AccountState.CREATING)
    _, second = started(OperationKind.CREATE, AccountState.CREATING)
    assert isinstance(first.id, uuid.UUID)
    assert first.id.version == 4
    assert first.id != second.id


def test_a_completed_create_is_active_with_the_drivers_urls() -> None:
    account, operation = started(OperationKind.CREATE, AccountState.CREATING)
    outcome = DriverOutcome(
        account_url="https://org-my-acct.example.invalid",
        account_locator_url="https://ab12345.aws-us-west-2.example.invalid",
    )
    complete_operation(operation, account, outcome, NOW)
    assert account.state == AccountState.ACTIVE
    assert account.account_url == "https://org-my-acct.example.invalid"
    assert account.account_locator_url == "https://ab12345.aws-us-west-2.example.invalid"
    assert operation.state == OperationState.SUCCEEDED
    assert operation.response_status == 200
    assert operation.response_body == SUCCESS
    assert operation.finished_at == NOW


def test_a_completed_create_carries_the_drivers_credentials_and_forgets_the_verifier() -> None:
    account, operation = started(OperationKind.CREATE, AccountState.CREATING)
    operation.password_verifier = "SCRAM-SHA-256$4096:..."
    credentials = {"user": "acct_ab123456_admin", "database": "acct_ab123456", "port": 5432}
    complete_operation(operation, account, DriverOutcome(credentials=credentials), NOW)
    assert operation.response_body == {**SUCCESS, "credentials": credentials}
    assert operation.password_verifier is None


def test_a_failed_operation_forgets_its_sealed_password() -> None:
    account, operation = started(OperationKind.ROTATE, AccountState.ACTIVE)
    operation.sealed_password = "sealed"
    operation.password_verifier = "SCRAM-SHA-256$4096:..."
    fail_operation(operation, account, "role missing", NOW, "req-1")
    assert operation.sealed_password is None
    assert operation.password_verifier is None
    assert account.state == AccountState.ACTIVE


@pytest.mark.parametrize("grace_days", [3, 14, 90])
def test_a_completed_drop_schedules_deletion_after_the_grace_period(grace_days: int) -> None:
    account, operation = started(
        OperationKind.DROP, AccountState.ACTIVE, {"grace_period_days": grace_days}
    )
    complete_operation(operation, account, DriverOutcome(), NOW)
    assert account.state == AccountState.DROPPED
    assert account.dropped_on == NOW
    assert account.scheduled_deletion_time == NOW + timedelta(days=grace_days)
    assert operation.state == OperationState.SUCCEEDED
    assert operation.response_status == 200
    assert operation.response_body == SUCCESS
    assert operation.finished_at == NOW


def test_a_completed_undrop_clears_the_drop_times_and_records_the_restore() -> None:
    account, operation = started(
        OperationKind.UNDROP,
        AccountState.DROPPED,
        dropped_on=EARLIER,
        scheduled_deletion_time=EARLIER + timedelta(days=3),
    )
    complete_operation(operation, account, DriverOutcome(), NOW)
    assert account.state == AccountState.ACTIVE
    assert account.dropped_on is None
    assert account.scheduled_deletion_time is None
    assert account.restored_on == NOW
    assert operation.state == OperationState.SUCCEEDED
    assert operation.finished_at == NOW


def test_a_completed_purge_leaves_the_account_purged_and_gone() -> None:
    account, operation = started(OperationKind.PURGE, AccountState.DROPPED, dropped_on=EARLIER)
    complete_operation(operation, account, DriverOutcome(), NOW)
    assert account.state == AccountState.PURGED
    assert account.state in GONE_STATES
    assert account.purged_on == NOW
    assert operation.state == OperationState.SUCCEEDED
    assert operation.response_body == SUCCESS
    assert operation.finished_at == NOW


def test_a_failed_create_ends_failed_with_an_internal_error_naming_the_account() -> None:
    account, operation = started(OperationKind.CREATE, AccountState.CREATING)
    fail_operation(operation, account, "simulated failure", NOW, "req-9")
    assert account.state == AccountState.FAILED
    assert operation.state == OperationState.FAILED
    assert operation.response_status == 500
    assert operation.error == "simulated failure"
    assert operation.finished_at == NOW
    body = operation.response_body
    assert body is not None
    assert body["code"] == "internal"
    assert body["error_code"] == "internal"
    assert body["request_id"] == "req-9"
    assert "MY_ACCT" in body["message"]
    assert "simulated failure" in body["message"]
    assert set(body) == {"code", "error_code", "message", "request_id"}


@pytest.mark.parametrize(
    ("kind", "source", "request_body", "left_in"),
    [
        (OperationKind.DROP, AccountState.ACTIVE, {"grace_period_days": 3}, AccountState.ACTIVE),
        (OperationKind.UNDROP, AccountState.DROPPED, {}, AccountState.DROPPED),
        (OperationKind.PURGE, AccountState.DROPPED, {}, AccountState.DROPPED),
    ],
)
def test_a_failed_mutation_returns_the_account_to_where_it_was(
    kind: OperationKind,
    source: AccountState,
    request_body: dict[str, Any],
    left_in: AccountState,
) -> None:
    account, operation = started(kind, source, request_body)
    fail_operation(operation, account, "boom", NOW, "req-2")
    assert account.state == left_in
    assert operation.state == OperationState.FAILED
    assert operation.response_status == 500
    assert operation.finished_at == NOW
    assert operation.response_body is not None
    assert operation.response_body["message"].startswith(f"{kind.value} of account MY_ACCT")


def test_a_failed_drop_does_not_set_the_drop_times() -> None:
    account, operation = started(OperationKind.DROP, AccountState.ACTIVE, {"grace_period_days": 3})
    fail_operation(operation, account, "boom", NOW, "req-2")
    assert account.dropped_on is None
    assert account.scheduled_deletion_time is None
