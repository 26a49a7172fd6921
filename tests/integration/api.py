"""Small HTTP helpers for the integration tests: create, wait for a result, read."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.bodies import snowflake_create_body
from tests.conftest import Tenant

Client = TestClient[Any, Any]
RESULT_TIMEOUT_SECONDS = 20.0


def account_body(name: str, **fields: Any) -> dict[str, Any]:
    return snowflake_create_body(name, **fields)


async def accepted_location(response: ClientResponse) -> str:
    assert response.status == 202, await response.text()
    location = response.headers["Location"]
    assert location.startswith("/api/v2/results/")
    return location


async def wait_result(
    client: Client, location: str, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """Poll a result location until it stops answering 202; (status, body)."""
    deadline = time.monotonic() + RESULT_TIMEOUT_SECONDS
    while True:
        response = await client.get(location, headers=headers)
        body = await response.json()
        if response.status != 202:
            return response.status, body
        assert response.headers["Location"] == location
        if time.monotonic() > deadline:
            raise AssertionError(f"{location} still pending after {RESULT_TIMEOUT_SECONDS} s")
        await asyncio.sleep(0.05)


async def accept_create(client: Client, tenant: Tenant, name: str, **fields: Any) -> str:
    """Ask for an account; the result location of the accepted (202) create."""
    response = await client.post(
        "/api/v2/accounts", json=account_body(name, **fields), headers=tenant.headers()
    )
    return await accepted_location(response)


async def create(client: Client, tenant: Tenant, name: str, **fields: Any) -> str:
    """Create an account and wait until the create succeeded; its result location."""
    location = await accept_create(client, tenant, name, **fields)
    status, body = await wait_result(client, location, tenant.headers())
    assert (status, body["status"]) == (200, "Request successfully completed"), body
    return location


async def drop(client: Client, tenant: Tenant, name: str, grace_days: int = 3) -> None:
    response = await client.delete(
        f"/api/v2/accounts/{name}?gracePeriodInDays={grace_days}", headers=tenant.headers()
    )
    status, body = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 200, body


async def get_account(client: Client, tenant: Tenant, name: str) -> dict[str, Any]:
    response = await client.get(f"/api/v2/accounts/{name}", headers=tenant.headers())
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def names(client: Client, tenant: Tenant, query: str = "") -> list[str]:
    response = await client.get(f"/api/v2/accounts{query}", headers=tenant.headers())
    assert response.status == 200, await response.text()
    return [row["name"] for row in await response.json()]
