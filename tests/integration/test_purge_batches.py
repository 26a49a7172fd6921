"""Purges executed in batches: same rows as one at a time, failures kept apart, exactly once."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import AccountState, OperationKind, OperationState
from service.store.db import sync_sessions
from service.store.models import Account, Operation, OperationProgress
from service.store.tokens import ensure_organization
from service.usecases.operations import DriverOutcome, begin_operation
from workers import purges
from workers.drivers.base import TransientDriverError
from workers.drivers.faults import FaultInjectingDriver
from workers.drivers.simulated import SimulatedDriver
from workers.execute import Outcome, execute_operation
from workers.purges import execute_purges

DOMAIN = "accounts.test.invalid"


class FlakyPurges(SimulatedDriver):
    """The tenant cluster (not ours) refusing connections for accounts named FLAKY_*."""

    def purge(self, account: AccountSpec) -> DriverOutcome:
        if account.name.startswith("FLAKY_"):
            raise TransientDriverError("connection refused")
        return super().purge(account)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sync_sessions(engine)


def due_purges(engine: Engine, *names: str) -> list[uuid.UUID]:
    """Accounts past their grace period with queued purge operations, as the scan leaves them."""
    dropped_on = datetime.now(UTC) - timedelta(days=2)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        organization = ensure_organization(session, f"PURGES_{secrets.token_hex(5).upper()}")
        operations = []
        for name in names:
            locator = "PB" + secrets.token_hex(4).upper()
            account = Account(
                organization_id=organization.id,
                name=name,
                state=AccountState.DROPPED,
                account_locator=locator,
                edition="STANDARD",
                region="AWS_US_WEST_2",
                tenant_database=f"t_{locator.lower()}",
                tenant_role=f"t_{locator.lower()}_admin",
                dropped_on=dropped_on,
                scheduled_deletion_time=dropped_on + timedelta(days=1),
            )
            session.add(account)
            session.flush()
            operation = begin_operation(account, OperationKind.PURGE, {}, "purge-scan-test")
            # Dated ahead: the session's beat (if a test started it) must not republish these
            # to its own worker while this test drives them in-process.
            operation.created_at = datetime.now(UTC) + timedelta(hours=1)
            session.add(operation)
            session.add(OperationProgress(operation_id=operation.id, step="waiting"))
            operations.append(operation)
    return [operation.id for operation in operations]


def rows(engine: Engine, operation_id: uuid.UUID) -> tuple[Operation, Account]:
    with Session(engine, expire_on_commit=False) as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        account = session.get(Account, operation.account_id)
        assert account is not None
        return operation, account


def progress_rows(engine: Engine, ids: list[uuid.UUID]) -> int:
    with Session(engine) as session:
        found = session.scalars(
            select(OperationProgress.operation_id).where(OperationProgress.operation_id.in_(ids))
        ).all()
    return len(found)


def notified(listener: psycopg.Connection[Any], expected: set[str]) -> set[str]:
    """Which of `expected` were announced (within 5 s). The channel is the session's: other
    tests' operations, still being finished by the session's worker, are announced there too."""
    seen: set[str] = set()
    for notify in listener.notifies(timeout=5.0):
        seen.add(notify.payload)
        if expected <= seen:
            break
    return seen & expected


def never_retried(operation_id: uuid.UUID) -> None:
    raise AssertionError(f"{operation_id} was handed to the one-at-a-time path")


def test_a_batch_leaves_the_same_rows_as_purging_one_at_a_time(
    engine: Engine, sessions: sessionmaker[Session], listener: psycopg.Connection[Any]
) -> None:
    alone, *batch = due_purges(engine, "ALONE", "BATCHED_1", "BATCHED_2", "BATCHED_3")
    driver = SimulatedDriver(url_domain=DOMAIN)
    assert execute_operation(sessions, driver, alone, max_attempts=3) is Outcome.SUCCEEDED

    paced: list[int] = []

    def pace(count: int) -> float:
        paced.append(count)
        return 0.0

    result = execute_purges(sessions, driver, batch, retry_later=never_retried, pace=pace)

    assert result == purges.BatchResult(succeeded=3)
    assert paced == [3]
    reference_operation, reference_account = rows(engine, alone)
    compared = ("state", "attempts", "response_status", "response_body", "error")
    for operation_id in batch:
        operation, account = rows(engine, operation_id)
        for column in compared:
            assert getattr(operation, column) == getattr(reference_operation, column), column
        assert operation.started_at is not None
        assert operation.claimed_at is not None
        assert operation.finished_at is not None
        assert account.state == reference_account.state == AccountState.PURGED
        assert account.purged_on == operation.finished_at
    assert progress_rows(engine, [alone, *batch]) == 0
    expected = {str(i) for i in [alone, *batch]}
    assert notified(listener, expected) == expected


def test_a_failed_purge_fails_alone_and_the_rest_of_the_batch_succeeds(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    ids = due_purges(engine, "FINE_1", "BROKEN_1", "FINE_2")
    driver = FaultInjectingDriver(
        SimulatedDriver(url_domain=DOMAIN), latency_seconds=0, failure_pattern="^purge:BROKEN_"
    )

    result = execute_purges(sessions, driver, ids, retry_later=never_retried)

    assert result == purges.BatchResult(succeeded=2, failed=1)
    states = [(rows(engine, i)[0].state, rows(engine, i)[1].state) for i in ids]
    assert states == [
        (OperationState.SUCCEEDED, AccountState.PURGED),
        (OperationState.FAILED, AccountState.DROPPED),
        (OperationState.SUCCEEDED, AccountState.PURGED),
    ]
    failed, _ = rows(engine, ids[1])
    assert failed.response_status == 500
    assert failed.response_body is not None
    assert "injected failure for purge:BROKEN_1" in failed.response_body["message"]


def test_a_transient_failure_is_handed_to_the_one_at_a_time_path(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    ids = due_purges(engine, "STEADY_1", "FLAKY_1")
    handed: list[uuid.UUID] = []

    result = execute_purges(
        sessions, FlakyPurges(url_domain=DOMAIN), ids, retry_later=handed.append
    )

    assert result == purges.BatchResult(succeeded=1, retried=1)
    assert handed == [ids[1]]
    flaky, account = rows(engine, ids[1])
    assert (flaky.state, flaky.attempts, account.state) == (
        OperationState.RUNNING,
        1,
        AccountState.PURGING,
    )
    # The single path takes it from there: its next attempt is the second.
    assert (
        execute_operation(sessions, SimulatedDriver(url_domain=DOMAIN), ids[1], max_attempts=3)
        is Outcome.SUCCEEDED
    )
    assert rows(engine, ids[1])[0].attempts == 2


def test_a_batch_delivered_twice_purges_once(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    ids = due_purges(engine, "TWICE_1", "TWICE_2")
    driver = SimulatedDriver(url_domain=DOMAIN)
    assert execute_purges(sessions, driver, ids, retry_later=never_retried).succeeded == 2
    finished = [rows(engine, i)[0].finished_at for i in ids]

    again = execute_purges(sessions, driver, ids, retry_later=never_retried)

    assert again == purges.BatchResult(skipped=2)
    assert [rows(engine, i)[0].finished_at for i in ids] == finished
    assert [rows(engine, i)[0].attempts for i in ids] == [1, 1]


def test_an_operation_held_by_another_delivery_is_left_to_it(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    held, free = due_purges(engine, "HELD_1", "FREE_1")
    with sessions.begin() as other:  # another worker executing `held` right now
        other.scalar(select(Operation).where(Operation.id == held).with_for_update())
        result = execute_purges(
            sessions, SimulatedDriver(url_domain=DOMAIN), [held, free], retry_later=never_retried
        )
    assert result == purges.BatchResult(succeeded=1, skipped=1)
    assert rows(engine, held)[0].state == OperationState.QUEUED
    assert rows(engine, free)[0].state == OperationState.SUCCEEDED


def test_a_slow_batch_commits_in_several_transactions(
    engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(purges, "STEP_TRANSACTION_SECONDS", 0.05)
    first, *rest = due_purges(engine, *(f"SLOW_PURGE_{index}" for index in range(4)))
    driver = WatchingPurges(engine, watched=first, watch_at="SLOW_PURGE_3")

    result = execute_purges(sessions, driver, [first, *rest], retry_later=never_retried)

    assert result == purges.BatchResult(succeeded=4)
    # The first account's purge was committed while the last one was still being purged.
    assert driver.seen == OperationState.SUCCEEDED


class WatchingPurges(SimulatedDriver):
    """Takes 30 ms per purge and, at one account, looks at another's operation from outside."""

    def __init__(self, engine: Engine, *, watched: uuid.UUID, watch_at: str) -> None:
        super().__init__(url_domain=DOMAIN)
        self._engine, self._watched, self._watch_at = engine, watched, watch_at
        self.seen: OperationState | None = None

    def purge(self, account: AccountSpec) -> DriverOutcome:
        time.sleep(0.03)
        if account.name == self._watch_at:
            self.seen = rows(self._engine, self._watched)[0].state
        return super().purge(account)
