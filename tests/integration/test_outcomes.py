"""A success recorded in one statement leaves the rows the ORM path leaves, for every kind."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.domain.lifecycle import TRANSITIONS, AccountState, OperationKind, OperationState
from service.store.models import Account, Operation, OperationProgress
from service.store.outcomes import ONE_STATEMENT_KINDS, record_success
from service.store.tokens import ensure_organization
from service.usecases.operations import (
    DriverOutcome,
    complete_operation,
    stamped_values,
    success_answer,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
OUTCOME = DriverOutcome(
    account_url="https://org-acme.accounts.test.invalid",
    account_locator_url="https://zz1.aws-us-west-2.accounts.test.invalid",
    credentials={"user": "t_zz1_admin", "database": "t_zz1", "host": "h", "port": 5432},
    warnings=["a warning said to the caller"],
)
# Columns that differ between two accounts or operations for reasons other than the outcome.
OWN_COLUMNS = {
    "id",
    "public_id",
    "name",
    "account_locator",
    "tenant_database",
    "tenant_role",
    "account_id",
    "created_on",
    "updated_on",
    "created_at",
}


def running(engine: Engine, kind: OperationKind, *, password_given: bool) -> uuid.UUID:
    """An account in the kind's pending state and its claimed (running) operation."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        organization = ensure_organization(session, "OUTCOMES")
        locator = "OC" + secrets.token_hex(4).upper()
        account = Account(
            organization_id=organization.id,
            name=f"OUTCOME_{locator}",
            state=TRANSITIONS[kind].pending,
            account_locator=locator,
            edition="STANDARD",
            region="AWS_US_WEST_2",
            tenant_database=f"t_{locator.lower()}",
            tenant_role=f"t_{locator.lower()}_admin",
            dropped_on=NOW if kind is not OperationKind.CREATE else None,
        )
        session.add(account)
        session.flush()
        operation = Operation(
            id=uuid.uuid4(),
            organization_id=organization.id,
            account_id=account.id,
            kind=kind,
            state=OperationState.RUNNING,
            request={"grace_period_days": 7} if kind is OperationKind.DROP else {},
            request_id="outcome-test",
            attempts=1,
            sealed_password="sealed",
            password_given=password_given,
            password_verifier="SCRAM-SHA-256$4096:verifier",
        )
        session.add(operation)
        session.add(OperationProgress(operation_id=operation.id, step="step 2 of 3"))
    return operation.id


def columns(row: Account | Operation) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in OWN_COLUMNS
    }


def rows(engine: Engine, operation_id: uuid.UUID) -> tuple[dict[str, Any], dict[str, Any], int]:
    with Session(engine) as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        account = session.get(Account, operation.account_id)
        assert account is not None
        progress = session.get(OperationProgress, operation_id)
        return columns(operation), columns(account), 0 if progress is None else 1


@pytest.mark.parametrize("password_given", [False, True])
@pytest.mark.parametrize("kind", sorted(ONE_STATEMENT_KINDS))
def test_one_statement_leaves_the_rows_the_orm_leaves(
    engine: Engine, listener: psycopg.Connection[Any], kind: OperationKind, password_given: bool
) -> None:
    by_orm, by_statement = (running(engine, kind, password_given=password_given) for _ in "ab")
    with Session(engine) as session, session.begin():
        operation = session.get(Operation, by_orm)
        assert operation is not None
        account = session.get(Account, operation.account_id, with_for_update=True)
        assert account is not None
        complete_operation(operation, account, OUTCOME, NOW)
        session.delete(session.get(OperationProgress, by_orm))
    with Session(engine) as session, session.begin():
        stamps = stamped_values(kind, {"grace_period_days": 7}, OUTCOME, NOW)
        body = success_answer(OUTCOME)
        record_success(session, kind, by_statement, body=body, stamps=stamps, now=NOW)

    assert rows(engine, by_statement) == rows(engine, by_orm)
    operation_row, account_row, progress = rows(engine, by_statement)
    assert account_row["state"] is TRANSITIONS[kind].succeeded
    assert operation_row["state"] is OperationState.SUCCEEDED
    assert operation_row["sealed_password"] == (None if password_given else "sealed")
    assert operation_row["password_verifier"] is None
    assert progress == 0
    assert announced(listener, str(by_statement))


def announced(listener: psycopg.Connection[Any], payload: str) -> bool:
    """Whether `payload` is announced within 5 s (other tests' operations may be announced on
    the session's channel meanwhile)."""
    return any(notify.payload == payload for notify in listener.notifies(timeout=5.0))


def test_a_drop_keeps_the_account_for_its_grace_period(engine: Engine) -> None:
    operation_id = running(engine, OperationKind.DROP, password_given=False)
    stamps = stamped_values(OperationKind.DROP, {"grace_period_days": 7}, OUTCOME, NOW)
    with Session(engine) as session, session.begin():
        record_success(
            session,
            OperationKind.DROP,
            operation_id,
            body=success_answer(OUTCOME),
            stamps=stamps,
            now=NOW,
        )
    _, account, _ = rows(engine, operation_id)
    assert account["state"] is AccountState.DROPPED
    assert (account["dropped_on"], (account["scheduled_deletion_time"] - NOW).days) == (NOW, 7)
