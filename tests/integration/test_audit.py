"""Who asked: every accepted operation records its token; operations filter by it."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.domain.roles import Role
from service.domain.tokens import hash_token
from service.store.models import ApiToken
from tests.conftest import Tenant
from tests.integration.api import (
    Client,
    accepted_location,
    account_body,
    create,
    drop,
    get_account,
    wait_result,
)
from tests.integration.rows import past_grace


def token_id(engine: Engine, tenant: Tenant, role: Role) -> str:
    with Session(engine) as session:
        found = session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == hash_token(tenant.tokens[role]))
        )
    assert found is not None
    return str(found)


async def operations(client: Client, tenant: Tenant, query: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v2/operations{query}", headers=tenant.headers())
    assert response.status == 200, await response.text()
    rows: list[dict[str, Any]] = await response.json()
    return rows


async def test_each_operation_records_the_token_that_asked_for_it(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    admin, operator = token_id(engine, tenant, Role.ADMIN), token_id(engine, tenant, Role.OPERATOR)
    await create(client, tenant, "audited")  # the batched create path
    keyed = await client.post(  # the single create path (with an Idempotency-Key)
        "/api/v2/accounts",
        json=account_body("keyed"),
        headers={**tenant.headers(Role.OPERATOR), "Idempotency-Key": uuid.uuid4().hex},
    )
    await wait_result(client, await accepted_location(keyed), tenant.headers())
    patched = await client.patch(
        "/api/v2/accounts/audited", json={"comment": "x"}, headers=tenant.headers(Role.OPERATOR)
    )
    await wait_result(client, await accepted_location(patched), tenant.headers())

    by_admin = await operations(client, tenant, f"?requestedBy={admin}")
    assert [(row["kind"], row["account"]) for row in by_admin] == [("create", "AUDITED")]
    assert by_admin[0]["requested_by"] == {"token_id": admin, "description": "test"}
    by_operator = await operations(client, tenant, f"?requestedBy={operator.upper()}")
    assert [(row["kind"], row["account"]) for row in by_operator] == [
        ("update", "AUDITED"),
        ("create", "KEYED"),
    ]
    assert {row["requested_by"]["token_id"] for row in by_operator} == {operator}
    read = await client.get(
        f"/api/v2/operations/{by_operator[0]['id']}", headers=tenant.headers(Role.VIEWER)
    )
    assert (await read.json())["requested_by"]["token_id"] == operator
    assert await operations(client, tenant, f"?requestedBy={uuid.uuid4()}") == []


async def test_requested_by_must_be_a_token_id(client: Client, tenant: Tenant) -> None:
    response = await client.get("/api/v2/operations?requestedBy=alice", headers=tenant.headers())
    assert response.status == 400
    error = await response.json()
    assert error["code"] == "invalid_argument"
    assert "requestedBy must be a token id" in error["message"]


async def test_a_scheduled_purge_was_asked_for_by_nobody(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    await past_grace(client, tenant, engine, "expiring")
    deadline = time.monotonic() + 20
    while not (purges := await operations(client, tenant, "?kind=purge&state=succeeded")):
        assert time.monotonic() < deadline, "the purge scan did not purge the account"
        await asyncio.sleep(0.2)
    assert purges[0]["requested_by"] is None
    drops = await operations(client, tenant, "?kind=drop")
    assert drops[0]["requested_by"]["token_id"] == token_id(engine, tenant, Role.ADMIN)


async def test_updated_on_follows_the_workers_changes(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "touched")
    before = await get_account(client, tenant, "touched")
    assert datetime.fromisoformat(before["updated_on"]) >= datetime.fromisoformat(
        before["created_on"]
    )
    await drop(client, tenant, "touched")
    after = await get_account(client, tenant, "touched")
    assert after["state"] == "DROPPED"
    assert datetime.fromisoformat(after["updated_on"]) > datetime.fromisoformat(
        before["updated_on"]
    )
    assert datetime.fromisoformat(after["updated_on"]) >= datetime.fromisoformat(
        after["dropped_on"]
    ) - timedelta(seconds=1)
