"""Bad input is a 4xx in the contract's error shape, decided before anything is written."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import Engine, select

from service.store.models import Account, Organization
from tests.conftest import Tenant
from tests.integration.api import Client, account_body, create, drop, get_account
from tests.integration.rows import row_count

ERROR_KEYS = {"code", "error_code", "message", "request_id"}


async def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body: dict[str, Any] = await response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == body["error_code"]
    assert body["request_id"] == response.headers["X-Snowflake-Request-ID"]
    return body


def _accounts_of(engine: Engine, tenant: Tenant) -> int:
    return row_count(
        engine,
        select(Account.id)
        .join(Organization, Organization.id == Account.organization_id)
        .where(Organization.name == tenant.name),
    )


async def test_a_body_with_several_problems_names_every_field_and_writes_nothing(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    response = await client.post(
        "/api/v2/accounts",
        json={"name": "1bad", "email": "nope", "edition": "FREE", "account_locator": "X"},
        headers=tenant.headers(),
    )
    body = await error_of(response, 400)
    assert body["code"] == "invalid_argument"
    for field in ("name", "email", "edition", "admin_name", "account_locator"):
        assert field in body["message"]
    assert _accounts_of(engine, tenant) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "required"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"null", "JSON object"),
    ],
)
async def test_a_body_that_is_not_an_account_object_is_a_400(
    client: Client, tenant: Tenant, raw: bytes, expected: str
) -> None:
    response = await client.post(
        "/api/v2/accounts",
        data=raw,
        headers={**tenant.headers(), "Content-Type": "application/json"},
    )
    assert expected in (await error_of(response, 400))["message"]


async def test_a_quoted_account_name_is_a_400(client: Client, tenant: Tenant) -> None:
    response = await client.post(
        "/api/v2/accounts", json=account_body('"Quoted"'), headers=tenant.headers()
    )
    assert "name" in (await error_of(response, 400))["message"]


async def test_a_duplicate_name_is_409_in_any_case(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "Twin")
    response = await client.post(
        "/api/v2/accounts", json=account_body("tWIN"), headers=tenant.headers()
    )
    body = await error_of(response, 409)
    assert body["code"] == "already_exists"
    assert "TWIN" in body["message"]


async def test_the_name_of_a_dropped_account_stays_taken(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "held")
    await drop(client, tenant, "held")
    response = await client.post(
        "/api/v2/accounts", json=account_body("held"), headers=tenant.headers()
    )
    assert (await error_of(response, 409))["code"] == "already_exists"


async def test_the_same_name_in_another_organization_is_fine(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    await create(client, tenant, "shared_name")
    await create(client, other_tenant, "shared_name")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?gracePeriodInDays=2",
        "?gracePeriodInDays=91",
        "?gracePeriodInDays=seven",
        "?gracePeriodInDays=5&ifExists=yes",
    ],
)
async def test_drop_parameters_are_validated(client: Client, tenant: Tenant, query: str) -> None:
    await create(client, tenant, "param_target")
    response = await client.delete(
        f"/api/v2/accounts/param_target{query}", headers=tenant.headers()
    )
    body = await error_of(response, 400)
    assert ("gracePeriodInDays" in body["message"]) or ("ifExists" in body["message"])
    assert (await get_account(client, tenant, "param_target"))["state"] == "ACTIVE"


@pytest.mark.parametrize(
    ("name", "dropped_before", "status", "reason", "if_exists"),
    [
        pytest.param("ghost", False, 404, "GHOST", "True", id="unknown-404"),
        pytest.param("twice", True, 409, "dropped", "true", id="dropped-409"),
    ],
)
async def test_a_drop_that_cannot_happen_is_an_error_or_200_with_if_exists(
    client: Client,
    tenant: Tenant,
    name: str,
    dropped_before: bool,
    status: int,
    reason: str,
    if_exists: str,
) -> None:
    if dropped_before:
        await create(client, tenant, name)
        await drop(client, tenant, name)
    url = f"/api/v2/accounts/{name}?gracePeriodInDays=3"
    response = await client.delete(url, headers=tenant.headers())
    assert reason in (await error_of(response, status))["message"]
    quiet = await client.delete(f"{url}&ifExists={if_exists}", headers=tenant.headers())
    assert quiet.status == 200
    body = await quiet.json()
    assert isinstance(body["status"], str)


async def test_undrop_of_an_active_account_is_409_and_of_an_unknown_one_404(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "alive")
    response = await client.post("/api/v2/accounts/alive:undrop", headers=tenant.headers())
    assert "not dropped" in (await error_of(response, 409))["message"]
    response = await client.post("/api/v2/accounts/nobody:undrop", headers=tenant.headers())
    await error_of(response, 404)


async def test_unknown_routes_and_methods_answer_in_the_error_shape(
    client: Client, tenant: Tenant
) -> None:
    assert (await error_of(await client.get("/api/v2/nothing"), 404))["code"] == "not_found"
    response = await client.put("/api/v2/accounts", headers=tenant.headers())
    assert (await error_of(response, 405))["code"] == "method_not_allowed"


async def test_a_body_over_the_size_limit_is_413_in_the_error_shape(
    client: Client, tenant: Tenant
) -> None:
    response = await client.post(
        "/api/v2/accounts",
        data=io.BytesIO(b"{" + b" " * (2 * 1024 * 1024) + b"}"),
        headers={**tenant.headers(), "Content-Type": "application/json"},
    )
    await error_of(response, 413)


async def test_unknown_or_malformed_result_handles_are_404(client: Client, tenant: Tenant) -> None:
    for handle in ("not-a-handle", "00000000-0000-4000-8000-000000000000"):
        response = await client.get(f"/api/v2/results/{handle}", headers=tenant.headers())
        await error_of(response, 404)


async def test_a_client_request_id_is_echoed_in_header_and_error_body(
    client: Client, tenant: Tenant
) -> None:
    response = await client.get(
        "/api/v2/accounts/ghost", headers={**tenant.headers(), "X-Request-ID": "trace-42"}
    )
    assert response.headers["X-Snowflake-Request-ID"] == "trace-42"
    assert (await error_of(response, 404))["request_id"] == "trace-42"


async def test_every_response_carries_a_request_id(client: Client, tenant: Tenant) -> None:
    for response in (
        await client.get("/healthz"),
        await client.get("/api/v2/accounts", headers=tenant.headers()),
        await client.get("/api/v2/accounts"),
    ):
        assert len(response.headers["X-Snowflake-Request-ID"]) == 36


async def test_nul_characters_are_a_400_not_a_database_error(
    client: Client, tenant: Tenant
) -> None:
    listed = await client.get("/api/v2/accounts?like=a%00b", headers=tenant.headers())
    assert "like" in (await error_of(listed, 400))["message"]
    created = await client.post(
        "/api/v2/accounts",
        data=b'{"name": "nul", "admin_name": "admin", "email": "a@example.com", '
        b'"edition": "STANDARD", "comment": "a\\u0000b"}',
        headers={**tenant.headers(), "Content-Type": "application/json"},
    )
    assert "NUL" in (await error_of(created, 400))["message"]
