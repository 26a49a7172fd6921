"""Group commit of creates: concurrent creates share a statement, a commit and a publish, and each
request still gets its own answer (a taken name is 409, the rest are written and published)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from service.adapters.broker import AsyncPublisher, create_celery
from service.adapters.secret_key import secret_key
from service.domain.lifecycle import OperationState
from service.domain.passwords import PasswordSeal
from service.domain.roles import Role
from service.domain.schemas import AccountCreate
from service.domain.tokens import Principal
from service.settings import Settings
from service.store.db import create_hot_pool
from service.store.models import Account, Operation, Organization
from service.usecases.accounts import AcceptContext, NewPassword, Queued
from service.web.create_batches import CreateBatcher, CreateRequest
from service.web.keys import METRICS
from tests.conftest import Tenant
from tests.integration.api import Client, account_body
from tests.log_lines import configured_logging, json_lines


async def test_concurrent_creates_are_written_together_and_each_gets_its_own_answer(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    taken = await client.post(
        "/api/v2/accounts", json=account_body("TAKEN"), headers=tenant.headers()
    )
    assert taken.status == 202
    registry = client.app[METRICS].registry
    batches_before = registry.get_sample_value("provisioner_create_batch_size_count") or 0.0
    names = [f"BATCHED_{number}" for number in range(30)] + ["TWICE", "TWICE", "TAKEN"]

    responses = await asyncio.gather(
        *(
            client.post("/api/v2/accounts", json=account_body(name), headers=tenant.headers())
            for name in names
        )
    )

    statuses = [response.status for response in responses]
    assert statuses[:30] == [202] * 30
    assert sorted(statuses[30:32]) == [202, 409]  # one TWICE is written, the other is refused
    assert statuses[32] == 409
    for response in responses:
        if response.status == 409:
            assert (await response.json())["code"] == "already_exists"
    with Session(engine) as session:
        created = session.scalars(
            select(Account.name)
            .join(Organization, Organization.id == Account.organization_id)
            .where(Organization.name == tenant.name)
        ).all()
    assert sorted(created) == sorted({*names})
    batches = (registry.get_sample_value("provisioner_create_batch_size_count") or 0.0) - (
        batches_before
    )
    # Every create went through a batch, and far fewer batches than creates were written.
    assert 1 <= batches < len(names)


@dataclass
class Batching:
    batcher: CreateBatcher
    redis: Redis
    queue: str
    principal: Principal
    seal: PasswordSeal


@pytest.fixture
async def batching(settings: Settings, engine: Engine, tenant: Tenant) -> AsyncIterator[Batching]:
    """A batcher on the real database and Redis, publishing to a queue no worker consumes."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    queue = f"batches-{uuid.uuid4().hex[:8]}"
    pool = await create_hot_pool(settings.database_url, size=2, timeout_seconds=5)
    redis = Redis.from_url(settings.redis_url)
    publisher = AsyncPublisher(create_celery(settings), redis, queue)
    with Session(engine) as session:
        organization_id = session.scalar(
            select(Organization.id).where(Organization.name == tenant.name)
        )
    assert organization_id is not None
    principal = Principal(str(uuid.uuid4()), organization_id, tenant.name, Role.ADMIN)
    batcher = CreateBatcher(pool, publisher, wait_seconds=5, max_in_flight=1)
    try:
        yield Batching(batcher, redis, queue, principal, PasswordSeal(secret_key(settings)))
    finally:
        await redis.delete(queue)
        await redis.aclose()
        await pool.close()


def create_request(batching: Batching, name: str, request_id: str = "req") -> CreateRequest:
    body = AccountCreate.parse(
        account_body(name),
        regions=("AWS_US_WEST_2",),
        default_region="AWS_US_WEST_2",
        region_group="PUBLIC",
    )
    password = NewPassword(sealed=batching.seal.seal("Sup3r-secret-pw!"), given=True)
    return CreateRequest(AcceptContext(batching.principal, request_id), body, password)


def queued_operations(engine: Engine, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    with Session(engine) as session:
        rows = session.execute(
            select(Operation.id, Account.name)
            .join(Account, Account.id == Operation.account_id)
            .where(Operation.id.in_(ids), Operation.state == OperationState.QUEUED)
        ).all()
    return {operation_id: name for operation_id, name in rows}


async def test_a_row_that_meets_a_unique_index_is_left_out_and_the_others_are_written(
    batching: Batching, engine: Engine
) -> None:
    first = await batching.batcher.submit(create_request(batching, "HELD"))
    assert first is not None
    # One lone write in flight, then three that wait for it and go together.
    results = await asyncio.gather(
        batching.batcher.submit(create_request(batching, "ONE")),
        batching.batcher.submit(create_request(batching, "HELD")),
        batching.batcher.submit(create_request(batching, "TWO")),
    )
    one, held, two = results
    assert held is None
    assert isinstance(one, Queued)
    assert isinstance(two, Queued)
    written = [first.id, one.id, two.id]
    assert queued_operations(engine, written) == {
        first.id: "HELD",
        one.id: "ONE",
        two.id: "TWO",
    }
    # Committed, then published: one message per written create, none for the refused one.
    assert await batching.redis.llen(batching.queue) == 3


async def test_a_batch_the_database_refuses_writes_nothing_and_sends_each_back(
    batching: Batching, engine: Engine
) -> None:
    # A request id longer than its column (the API never makes one): the statement fails.
    fine, refused = await asyncio.gather(
        batching.batcher.submit(create_request(batching, "FINE")),
        batching.batcher.submit(create_request(batching, "LONG", request_id="x" * 200)),
    )
    assert fine is None
    assert refused is None
    with Session(engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(Account)
            .where(
                Account.organization_id == batching.principal.organization_id,
                Account.name.in_(["FINE", "LONG"]),
            )
        )
    assert count == 0
    assert await batching.redis.llen(batching.queue) == 0


async def test_when_the_database_is_unreachable_every_request_of_the_batch_fails(
    batching: Batching,
) -> None:
    pool = await create_hot_pool("postgresql://nobody@127.0.0.1:1/none", size=1, timeout_seconds=1)
    publisher = AsyncPublisher(create_celery(Settings(redis_url="redis://x")), batching.redis, "q")
    cut_off = CreateBatcher(pool, publisher, wait_seconds=1, max_in_flight=1)
    outcomes = await asyncio.gather(
        *(cut_off.submit(create_request(batching, f"N{number}")) for number in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(outcome, OSError | TimeoutError) for outcome in outcomes), outcomes
    await pool.close()


async def test_a_batch_logs_one_line_naming_each_create_it_wrote(
    batching: Batching, capsys: pytest.CaptureFixture[str]
) -> None:
    first = await batching.batcher.submit(create_request(batching, "LOGGED_0", "req-0"))
    assert first is not None
    names = ("LOGGED_1", "LOGGED_0", "LOGGED_2")  # LOGGED_0 is taken: left out, written alone
    with configured_logging("INFO"):
        one, taken, two = await asyncio.gather(
            *(
                batching.batcher.submit(create_request(batching, name, f"req-{name}"))
                for name in names
            )
        )
        lines = json_lines(capsys.readouterr().err)
    assert taken is None
    assert one is not None
    assert two is not None
    (batch,) = (line for line in lines if line["event"] == "operations.queued")
    assert (batch["kind"], batch["state"], batch["count"]) == ("create", "queued", 2)
    assert batch["operations"] == [
        {"operation_id": str(one.id), "account": "LOGGED_1", "request_id": "req-LOGGED_1"},
        {"operation_id": str(two.id), "account": "LOGGED_2", "request_id": "req-LOGGED_2"},
    ]
    assert not [line for line in lines if line["event"] == "operation.queued"]
