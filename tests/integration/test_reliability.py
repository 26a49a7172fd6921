"""Nothing lost, nothing done twice: stranded operations, racing creates, two beat schedulers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from service.domain.lifecycle import AccountState, OperationKind, OperationState
from service.settings import Settings
from service.store.models import Account, Operation, Organization
from service.usecases.operations import begin_operation
from tests.conftest import Tenant, service_env
from tests.integration.api import Client, account_body, create, drop
from tests.integration.rows import new_spec, queued_create, row_count
from tests.processes import ServiceProcess, start_service

WAIT_SECONDS = 20.0


def operation_state(engine: Engine, operation_id: uuid.UUID) -> OperationState:
    with Session(engine) as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        return operation.state


async def wait_for_state(engine: Engine, operation_id: uuid.UUID, wanted: OperationState) -> None:
    for _ in range(int(WAIT_SECONDS / 0.2)):
        if operation_state(engine, operation_id) == wanted:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"operation {operation_id} never became {wanted}")


def strand(engine: Engine, operation_id: uuid.UUID) -> None:
    """As if a worker claimed the operation ten minutes ago and then died."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Operation)
            .where(Operation.id == operation_id)
            .values(
                state=OperationState.RUNNING,
                attempts=1,
                claimed_at=datetime.now(UTC) - timedelta(minutes=10),
            )
        )


async def test_a_running_operation_whose_worker_died_is_published_again_and_completes(
    client: Client, engine: Engine
) -> None:
    operation = queued_create(engine, new_spec())
    strand(engine, operation.id)
    await wait_for_state(engine, operation.id, OperationState.SUCCEEDED)
    with Session(engine) as session:
        finished = session.get(Operation, operation.id)
        assert finished is not None
        assert finished.attempts == 2


async def test_a_running_operation_whose_worker_holds_its_row_is_left_alone(
    client: Client, engine: Engine, settings: Settings
) -> None:
    operation = queued_create(engine, new_spec())
    strand(engine, operation.id)
    with Session(engine) as holder:  # a live worker: it keeps the row locked during its step
        holder.execute(select(Operation).where(Operation.id == operation.id).with_for_update())
        await asyncio.sleep(settings.republish_after_seconds * 3)
        with Session(engine) as session:
            running = session.get(Operation, operation.id)
            assert running is not None
            assert running.state == OperationState.RUNNING
            assert running.last_published_at is None
        holder.rollback()
    await wait_for_state(engine, operation.id, OperationState.SUCCEEDED)


async def test_two_hundred_concurrent_creates_of_one_name_accept_exactly_one(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v2/accounts", json=account_body("contested"), headers=tenant.headers()
            )
            for _ in range(200)
        )
    )
    statuses = sorted(response.status for response in responses)
    assert statuses.count(202) == 1
    assert statuses.count(409) == 199
    with Session(engine) as session:
        rows = session.scalar(
            select(func.count()).select_from(Account).where(Account.name == "CONTESTED")
        )
    assert rows == 1


@pytest.fixture
def second_beat(settings: Settings, tmp_path: Path) -> Iterator[ServiceProcess]:
    """Another beat scheduler (its own schedule file), as after a bad deploy."""
    env = service_env(settings)
    env["DATA_DIR"] = str(tmp_path / "second-beat")
    process = start_service("beat", env, tmp_path, "beat: Starting")
    yield process
    process.stop()


async def test_two_beats_purge_each_due_account_exactly_once(
    client: Client, tenant: Tenant, engine: Engine, second_beat: ServiceProcess
) -> None:
    names = [f"due_{index}" for index in range(12)]
    for name in names:
        await create(client, tenant, name)
        await drop(client, tenant, name)
    with Session(engine) as session, session.begin():
        organization_id = session.scalar(
            select(Organization.id).where(Organization.name == tenant.name)
        )
        session.execute(
            update(Account)
            .where(Account.organization_id == organization_id)
            .values(scheduled_deletion_time=datetime.now(UTC) - timedelta(hours=1))
        )
    for _ in range(int(WAIT_SECONDS / 0.2)):
        response = await client.get("/api/v2/accounts?history=true", headers=tenant.headers())
        if await response.json() == []:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)  # a few more scans by both beats
    with Session(engine) as session:
        purges = session.execute(
            select(Account.name, func.count(Operation.id))
            .join(Operation, Operation.account_id == Account.id)
            .where(
                Account.organization_id == organization_id,
                Operation.kind == OperationKind.PURGE,
            )
            .group_by(Account.name)
        ).all()
    assert sorted(purges) == sorted((name.upper(), 1) for name in names)
    assert second_beat.log().count("Sending due task scan-due-purges") >= 3


async def test_a_purge_that_failed_for_good_is_retried_an_hour_later_not_every_scan(
    client: Client, engine: Engine, settings: Settings
) -> None:
    created = queued_create(engine, new_spec())
    await wait_for_state(engine, created.id, OperationState.SUCCEEDED)
    failed_at = datetime.now(UTC) - timedelta(minutes=5)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        account = session.get(Account, created.account_id)
        assert account is not None
        account.state = AccountState.DROPPED
        account.dropped_on = failed_at - timedelta(days=3)
        account.scheduled_deletion_time = failed_at - timedelta(minutes=1)
        failed = begin_operation(account, OperationKind.PURGE, {}, "earlier-scan")
        account.state = AccountState.DROPPED  # the failed purge returned it to DROPPED
        failed.state = OperationState.FAILED
        failed.finished_at = failed_at
        session.add(failed)
    await asyncio.sleep(settings.purge_interval_seconds * 3)
    assert purge_count(engine, created.account_id) == 1  # only the failed one
    with Session(engine) as session, session.begin():
        session.execute(
            update(Operation)
            .where(Operation.id == failed.id)
            .values(finished_at=failed_at - timedelta(hours=2))
        )
    for _ in range(int(WAIT_SECONDS / 0.2)):
        if purge_count(engine, created.account_id) == 2:
            break
        await asyncio.sleep(0.2)
    assert purge_count(engine, created.account_id) == 2


def purge_count(engine: Engine, account_id: int) -> int:
    return row_count(
        engine,
        select(Operation.id).where(
            Operation.account_id == account_id, Operation.kind == OperationKind.PURGE
        ),
    )
