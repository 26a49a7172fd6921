"""Tokens, roles and organizations: 401, 403 and invisibility across organizations."""

from __future__ import annotations

from service.domain.roles import Role
from tests.conftest import Tenant
from tests.integration.api import Client, accepted_location, account_body, create, wait_result


async def test_no_token_or_an_unknown_one_is_401_with_a_challenge(client: Client) -> None:
    for headers in ({}, {"Authorization": "Bearer apv_unknown"}, {"Authorization": "Basic eDp5"}):
        response = await client.get("/api/v2/accounts", headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["code"] == "unauthenticated"


async def test_both_header_forms_of_existing_clients_authenticate(
    client: Client, tenant: Tenant
) -> None:
    token = tenant.tokens[Role.ADMIN]
    pat_form = {
        "Authorization": f"Bearer {token}",
        "X-Snowflake-Authorization-Token-Type": "PAT_WITH_EXTERNAL_SESSION_ID",
        "X-Snowflake-External-Session-ID": "",
    }
    snowflake_form = {"Authorization": f'Snowflake Token="{token}"'}
    response = await client.post("/api/v2/accounts", json=account_body("forms"), headers=pat_form)
    location = await accepted_location(response)
    # Polls reuse the original headers, including Content-Type without a body.
    status, _ = await wait_result(
        client, location, {**snowflake_form, "Content-Type": "application/json"}
    )
    assert status == 200


async def test_a_viewer_reads_but_may_not_mutate(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "watched")
    viewer = tenant.headers(Role.VIEWER)
    assert (await client.get("/api/v2/accounts/watched", headers=viewer)).status == 200
    attempts = [
        await client.post("/api/v2/accounts", json=account_body("nope"), headers=viewer),
        await client.delete("/api/v2/accounts/watched?gracePeriodInDays=3", headers=viewer),
        await client.post("/api/v2/accounts/watched:undrop", headers=viewer),
    ]
    for response in attempts:
        assert response.status == 403
        assert (await response.json())["code"] == "permission_denied"


async def test_an_operator_may_mutate(client: Client, tenant: Tenant) -> None:
    response = await client.post(
        "/api/v2/accounts", json=account_body("by_operator"), headers=tenant.headers(Role.OPERATOR)
    )
    assert response.status == 202


async def test_another_organizations_accounts_and_results_do_not_exist(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    location = await create(client, tenant, "private")
    outsider = other_tenant.headers()
    assert (await client.get("/api/v2/accounts/private", headers=outsider)).status == 404
    assert (await client.get(location, headers=outsider)).status == 404
    dropped = await client.delete("/api/v2/accounts/private?gracePeriodInDays=3", headers=outsider)
    assert dropped.status == 404
    listed = await (await client.get("/api/v2/accounts", headers=outsider)).json()
    assert "PRIVATE" not in [row["name"] for row in listed]
