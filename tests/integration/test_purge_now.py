"""POST /api/v2/accounts/{ref}:purge: a dropped account erased now, by the real worker."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from service.domain.lifecycle import OperationKind
from service.domain.roles import Role
from service.settings import Settings
from service.store.models import Account, Operation, Organization
from tests.conftest import Tenant
from tests.integration.api import (
    Client,
    accepted_location,
    create,
    drop,
    get_account,
    wait_result,
)
from tests.integration.rows import end_grace_period, operations_of
from tests.integration.tenant import database_exists, role_exists
from tests.integration.test_audit import token_id
from tests.integration.test_cli import Cli


async def dropped(client: Client, tenant: Tenant, name: str) -> dict[str, Any]:
    """A created, then dropped account (its grace period still running)."""
    await create(client, tenant, name)
    await drop(client, tenant, name)
    return await get_account(client, tenant, name)


def purges_of(engine: Engine, tenant: Tenant, name: str) -> list[Operation]:
    return operations_of(engine, tenant.name, name, OperationKind.PURGE)


async def test_an_admin_purges_a_dropped_account_at_once(
    client: Client, tenant: Tenant, engine: Engine, settings: Settings
) -> None:
    account = await dropped(client, tenant, "erase_me")
    with Session(engine) as session:
        row = session.scalars(select(Account).where(Account.public_id == account["id"])).one()
        database, role = row.tenant_database, row.tenant_role
    assert database is not None
    assert role is not None
    assert database_exists(settings, database)

    response = await client.post(
        f"/api/v2/accounts/id:{account['id']}:purge", headers=tenant.headers()
    )
    status, body = await wait_result(client, await accepted_location(response), tenant.headers())
    assert (status, body["status"]) == (200, "Request successfully completed")

    gone = await client.get(f"/api/v2/accounts/id:{account['id']}", headers=tenant.headers())
    assert gone.status == 404
    assert not database_exists(settings, database)
    assert not role_exists(settings, role)
    (purge,) = purges_of(engine, tenant, "ERASE_ME")
    assert purge.request == {"purge_now": True}
    listed = await client.get("/api/v2/operations?kind=purge", headers=tenant.headers())
    (operation,) = await listed.json()
    assert operation["requested_by"]["token_id"] == str(purge.requested_by_token)
    await create(client, tenant, "erase_me")  # the name is free again


async def test_only_an_admin_may_purge(client: Client, tenant: Tenant) -> None:
    await dropped(client, tenant, "kept")
    for role in (Role.OPERATOR, Role.VIEWER):
        response = await client.post("/api/v2/accounts/kept:purge", headers=tenant.headers(role))
        assert response.status == 403
        assert (await response.json())["code"] == "permission_denied"
    assert (await get_account(client, tenant, "kept"))["state"] == "DROPPED"


async def test_only_a_dropped_account_can_be_purged(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "alive", external_id="alive-1")
    response = await client.post(
        "/api/v2/accounts/externalId:alive-1:purge", headers=tenant.headers()
    )
    assert response.status == 409
    error = await response.json()
    assert error["code"] == "conflict"
    assert error["message"] == (
        "account ALIVE is not dropped (it is ACTIVE); only a dropped account can be purged"
    )
    unknown = await client.post(
        f"/api/v2/accounts/id:{uuid.uuid4()}:purge", headers=tenant.headers()
    )
    assert unknown.status == 404


async def test_an_idempotency_key_gets_the_first_answer_again(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    await dropped(client, tenant, "once")
    headers = {**tenant.headers(), "Idempotency-Key": uuid.uuid4().hex}
    first = await client.post("/api/v2/accounts/once:purge", headers=headers)
    location = await accepted_location(first)
    await wait_result(client, location, tenant.headers())
    again = await client.post("/api/v2/accounts/once:purge", headers=headers)
    assert await accepted_location(again) == location
    assert len(purges_of(engine, tenant, "ONCE")) == 1


async def test_purge_now_and_the_scheduled_purge_never_both_run(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    names = [f"race_{index}" for index in range(4)]
    for name in names:
        await dropped(client, tenant, name)
    for name in names:
        end_grace_period(engine, tenant.name, name.upper())  # the beat's scan wants it too
    answers = await asyncio.gather(
        *(client.post(f"/api/v2/accounts/{name}:purge", headers=tenant.headers()) for name in names)
    )
    for response in answers:
        assert response.status in {202, 409}, await response.text()
        if response.status == 409:
            assert "in flight" in (await response.json())["message"]
    for name in names:
        for _ in range(200):
            purges = purges_of(engine, tenant, name.upper())
            if purges and all(purge.done for purge in purges):
                break
            await asyncio.sleep(0.1)
        assert [purge.state.value for purge in purges] == ["succeeded"]
    with Session(engine) as session:
        left = session.scalar(
            select(func.count())
            .select_from(Account)
            .join(Organization, Organization.id == Account.organization_id)
            .where(Organization.name == tenant.name, Account.state != "PURGED")
        )
    assert left == 0


async def test_the_cli_purges_by_reference(client: Client, tenant: Tenant, engine: Engine) -> None:
    account = await dropped(client, tenant, "cli_purge")
    cli = Cli(client, tenant.tokens[Role.ADMIN])
    result = await cli("accounts", "purge", f"id:{account['id']}", "--wait")
    assert result.exit_code == 0, result.output
    assert "succeeded: purge of CLI_PURGE" in result.stdout
    admin = token_id(engine, tenant, Role.ADMIN)
    (listed,) = await cli.json("ops", "list", "--kind", "purge", "--requested-by", admin)
    assert (listed["account"], listed["requested_by"]["token_id"]) == ("CLI_PURGE", admin)
    refused = await Cli(client, tenant.tokens[Role.OPERATOR])("accounts", "purge", "cli_purge")
    assert refused.exit_code != 0
