"""PATCH /api/v2/accounts/{name}: merge-patch updates, done by the worker, on the real cluster."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from service.settings import Settings
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import (
    Client,
    accepted_location,
    account_body,
    create,
    get_account,
    names,
    wait_result,
)
from tests.integration.tenant import login, superuser

PASSWORD = "Sup3r-secret-pw!"  # what account_body sends


async def patch(client: Client, tenant: Tenant, name: str, body: Any) -> tuple[int, Any]:
    response = await client.patch(f"/api/v2/accounts/{name}", json=body, headers=tenant.headers())
    if response.status != 202:
        return response.status, await response.json()
    return await wait_result(client, await accepted_location(response), tenant.headers())


async def credentials_of(client: Client, tenant: Tenant, name: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v2/accounts", json=account_body(name), headers=tenant.headers()
    )
    status, body = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 200
    credentials: dict[str, Any] = body["credentials"]
    return credentials


async def test_comment_external_id_and_protection_are_updated(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "patched", comment="before")
    status, _ = await patch(
        client,
        tenant,
        "patched",
        {"comment": "after", "external_id": "crm-42", "deletion_protection": True},
    )
    assert status == 200
    account = await get_account(client, tenant, "patched")
    assert (account["comment"], account["external_id"], account["deletion_protection"]) == (
        "after",
        "crm-42",
        True,
    )
    found = await client.get("/api/v2/accounts?externalId=crm-42", headers=tenant.headers())
    assert [row["name"] for row in await found.json()] == ["PATCHED"]
    refused = await client.delete(
        "/api/v2/accounts/patched?gracePeriodInDays=3", headers=tenant.headers()
    )
    assert refused.status == 409
    assert "deletion_protection" in (await refused.json())["message"]
    status, _ = await patch(client, tenant, "patched", {"comment": None})
    assert status == 200
    assert "comment" not in await get_account(client, tenant, "patched")


async def test_a_rename_moves_the_account_and_frees_the_old_name(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "old_name")
    status, _ = await patch(client, tenant, "old_name", {"name": "new_name"})
    assert status == 200
    assert (await get_account(client, tenant, "new_name"))["name"] == "NEW_NAME"
    assert (await client.get("/api/v2/accounts/old_name", headers=tenant.headers())).status == 404
    await create(client, tenant, "old_name")


async def test_an_edition_change_applies_the_new_connection_limit(
    client: Client, tenant: Tenant, settings: Settings
) -> None:
    credentials = await credentials_of(client, tenant, "upgraded")
    status, _ = await patch(client, tenant, "upgraded", {"edition": "business_critical"})
    assert status == 200
    assert (await get_account(client, tenant, "upgraded"))["edition"] == "BUSINESS_CRITICAL"
    with superuser(settings) as admin:
        limit = admin.execute(
            "SELECT datconnlimit FROM pg_database WHERE datname = %s", (credentials["database"],)
        ).fetchone()
    assert limit == (settings.edition_connection_limits["BUSINESS_CRITICAL"],)


async def test_disabling_suspends_logins_without_dropping_and_enabling_resumes(
    client: Client, tenant: Tenant
) -> None:
    credentials = await credentials_of(client, tenant, "suspended")
    status, _ = await patch(client, tenant, "suspended", {"enabled": False})
    assert status == 200
    account = await get_account(client, tenant, "suspended")
    assert (account["enabled"], account["state"], account["dropped_on"]) == (False, "ACTIVE", None)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        login(credentials, PASSWORD)
    status, _ = await patch(client, tenant, "suspended", {"enabled": True})
    assert status == 200
    with login(credentials, PASSWORD) as session:
        assert session.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "empty"),
        ({"account_locator": "X"}, "account_locator"),
        ({"admin_password": "Another-pw-123"}, "admin_password"),
        ({"region": "AWS_US_EAST_1"}, "region"),
        ({"colour": "red"}, "colour"),
        ({"name": None}, "name"),
        ({"name": "1bad", "edition": "FREE"}, "edition"),
    ],
)
async def test_a_patch_that_cannot_be_applied_is_a_400_naming_it(
    client: Client, tenant: Tenant, body: Any, named: str
) -> None:
    await create(client, tenant, "unpatched")
    status, answer = await patch(client, tenant, "unpatched", body)
    assert status == 400
    assert named in answer["message"]


async def test_a_taken_name_or_external_id_is_409(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "first_one")
    await create(client, tenant, "second_one", external_id="ext-1")
    status, answer = await patch(client, tenant, "first_one", {"name": "second_one"})
    assert (status, answer["code"]) == (409, "already_exists")
    status, answer = await patch(client, tenant, "first_one", {"external_id": "ext-1"})
    assert status == 409
    assert "ext-1" in answer["message"]
    assert (await patch(client, tenant, "nobody_here", {"comment": "x"}))[0] == 404


async def test_accounts_list_in_the_order_asked_for(client: Client, tenant: Tenant) -> None:
    for name in ("b_second", "a_third", "c_first"):
        await create(client, tenant, name)
    assert await names(client, tenant, "?orderBy=-name") == ["C_FIRST", "B_SECOND", "A_THIRD"]
    assert await names(client, tenant, "?orderBy=created_on") == ["B_SECOND", "A_THIRD", "C_FIRST"]
    assert await names(client, tenant, "?orderBy=-created_on") == ["C_FIRST", "A_THIRD", "B_SECOND"]
    bad = await client.get("/api/v2/accounts?orderBy=size", headers=tenant.headers())
    assert bad.status == 400
    mixed = await client.get("/api/v2/accounts?orderBy=-name&fromName=B", headers=tenant.headers())
    assert mixed.status == 400


async def test_a_rename_whose_name_was_taken_meanwhile_ends_in_a_clean_409(
    aiohttp_client: ClientFactory, client: Client, tenant: Tenant, settings: Settings
) -> None:
    await create(client, tenant, "renamer")
    # Accepted, but published where no worker reads: the sweep hands it over a bit later.
    paused = await aiohttp_client(create_app(settings.model_copy(update={"queue_name": "paused"})))
    response = await paused.patch(
        "/api/v2/accounts/renamer", json={"name": "contested_name"}, headers=tenant.headers()
    )
    location = await accepted_location(response)
    await create(client, tenant, "contested_name")  # free at accept time, taken now
    status, body = await wait_result(client, location, tenant.headers())
    assert (status, body["code"]) == (409, "conflict")
    assert "taken" in body["message"]
    assert (await get_account(client, tenant, "renamer"))["state"] == "ACTIVE"
