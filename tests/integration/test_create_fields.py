"""Create fields over HTTP: the owner contact is kept and shown to admins and operators; values
the service cannot honour are a 400 naming the field; what Snowflake's clients send works."""

from __future__ import annotations

from typing import Any

from service.domain.roles import Role
from tests.conftest import Tenant
from tests.integration.api import Client, account_body, create
from tests.integration.test_usage import assert_valid_account

OWNER = {
    "admin_name": "ADA",
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
}


async def read(client: Client, tenant: Tenant, path: str, role: Role) -> Any:
    response = await client.get(path, headers=tenant.headers(role))
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_owner_contact_is_shown_to_admins_and_operators_only(
    client: Client, tenant: Tenant
) -> None:
    await create(
        client,
        tenant,
        "owned",
        admin_name="ada",
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        admin_user_type="PERSON",
    )
    for role in (Role.ADMIN, Role.OPERATOR):
        account = await read(client, tenant, "/api/v2/accounts/owned", role)
        assert account["owner"] == OWNER
        (listed,) = await read(client, tenant, "/api/v2/accounts", role)
        assert listed["owner"] == OWNER
        assert_valid_account(account)  # Snowflake's spec still accepts it
    account = await read(client, tenant, "/api/v2/accounts/owned", Role.VIEWER)
    assert "owner" not in account
    (listed,) = await read(client, tenant, "/api/v2/accounts", Role.VIEWER)
    assert "owner" not in listed
    for write_only in ("admin_name", "email", "first_name", "last_name", "admin_password"):
        assert write_only not in account


async def test_an_owner_without_a_first_or_last_name_shows_what_was_given(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "plain")
    account = await read(client, tenant, "/api/v2/accounts/plain", Role.ADMIN)
    assert account["owner"] == {"admin_name": "ADMIN", "email": "admin@example.com"}


async def test_values_the_service_cannot_honour_are_refused_naming_each(
    client: Client, tenant: Tenant
) -> None:
    body = account_body(
        "refused",
        must_change_password=True,
        polaris=True,
        admin_rsa_public_key="MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
        admin_user_type="SERVICE",
    )
    response = await client.post("/api/v2/accounts", json=body, headers=tenant.headers())
    assert response.status == 400
    error = await response.json()
    assert error["code"] == "invalid_argument"
    for field, why in (
        ("must_change_password", "true is not supported"),
        ("polaris", "true is not supported: the service creates no Polaris"),
        ("admin_rsa_public_key", "key-pair authentication is not supported"),
        ("admin_user_type", "only PERSON"),
    ):
        assert f"{field}: {why}" in error["message"]
    missing = await client.get("/api/v2/accounts/refused", headers=tenant.headers())
    assert missing.status == 404
