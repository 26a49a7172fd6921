"""Tokens as an API: admins issue (shown once), list (no secrets) and revoke (at once)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.orm import Session

from service.domain.roles import Role
from service.domain.tokens import hash_token
from service.store.models import ApiToken
from service.web.keys import LISTENER, TOKEN_CACHE
from tests.conftest import Tenant
from tests.integration.api import Client


async def issue(client: Client, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v2/tokens", json=body, headers=tenant.headers())
    assert response.status == 201, await response.text()
    issued: dict[str, Any] = await response.json()
    return issued


async def test_an_issued_token_works_once_shown_and_is_listed_without_its_secret(
    client: Client, tenant: Tenant
) -> None:
    issued = await issue(client, tenant, role="viewer", description="dashboards")
    assert issued["token"].startswith("apv_")
    assert (issued["role"], issued["description"], issued["revoked_on"]) == (
        "viewer",
        "dashboards",
        None,
    )
    as_new = {"Authorization": f"Bearer {issued['token']}"}
    assert (await client.get("/api/v2/accounts", headers=as_new)).status == 200
    assert (await client.post("/api/v2/accounts", json={}, headers=as_new)).status == 403
    listed = await (await client.get("/api/v2/tokens", headers=tenant.headers())).json()
    mine = [item for item in listed if item["id"] == issued["id"]]
    assert mine == [{key: value for key, value in issued.items() if key != "token"}]
    assert all("token" not in item for item in listed)
    assert issued["token"] not in str(listed)


async def test_a_revoked_token_is_refused_at_once(client: Client, tenant: Tenant) -> None:
    issued = await issue(client, tenant, role="operator")
    as_new = {"Authorization": f"Bearer {issued['token']}"}
    assert (await client.get("/api/v2/accounts", headers=as_new)).status == 200
    revoked = await client.delete(f"/api/v2/tokens/{issued['id']}", headers=tenant.headers())
    assert revoked.status == 200
    assert (await revoked.json())["revoked_on"] is not None
    assert (await client.get("/api/v2/accounts", headers=as_new)).status == 401
    listed = await (await client.get("/api/v2/tokens", headers=tenant.headers())).json()
    assert issued["id"] not in [item["id"] for item in listed]
    everything = await (
        await client.get("/api/v2/tokens?includeRevoked=true", headers=tenant.headers())
    ).json()
    assert issued["id"] in [item["id"] for item in everything]


async def test_an_expired_token_is_refused(client: Client, tenant: Tenant, engine: Engine) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    issued = await issue(client, tenant, role="viewer", expires_at=later)
    as_new = {"Authorization": f"Bearer {issued['token']}"}
    assert (await client.get("/api/v2/accounts", headers=as_new)).status == 200
    with Session(engine) as session, session.begin():
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == issued["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    # The API had the token cached: the row's NOTIFY makes it look again.
    assert await refused_soon(client, as_new)


async def test_a_token_revoked_behind_the_apis_back_is_refused_within_moments(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    issued = await issue(client, tenant, role="viewer")
    as_new = {"Authorization": f"Bearer {issued['token']}"}
    await asyncio.wait_for(client.app[LISTENER].listening.wait(), timeout=10)
    assert (await client.get("/api/v2/accounts", headers=as_new)).status == 200
    cache = client.app[TOKEN_CACHE]
    assert cache.get(hash_token(issued["token"])) is not None  # looked up once, then cached
    with Session(engine) as session, session.begin():  # an operator's SQL, not the API
        session.execute(
            update(ApiToken).where(ApiToken.id == issued["id"]).values(revoked_at=func.now())
        )
    assert await refused_soon(client, as_new)
    assert cache.get(hash_token(issued["token"])) is None


async def refused_soon(client: Client, headers: dict[str, str], seconds: float = 5.0) -> bool:
    """Whether the API refuses `headers`' token within `seconds` (a NOTIFY's way, ms here)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (await client.get("/api/v2/accounts", headers=headers)).status == 401:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_only_admins_manage_tokens_and_only_their_own(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    for role in (Role.OPERATOR, Role.VIEWER):
        response = await client.get("/api/v2/tokens", headers=tenant.headers(role))
        assert response.status == 403
    issued = await issue(client, tenant, role="viewer")
    foreign = await client.delete(f"/api/v2/tokens/{issued['id']}", headers=other_tenant.headers())
    assert foreign.status == 404


async def test_bad_token_requests_are_400_naming_the_field(client: Client, tenant: Tenant) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for body, field in (
        ({"role": "owner"}, "role"),
        ({}, "role"),
        ({"role": "viewer", "expires_at": past}, "expires_at"),
        ({"role": "viewer", "colour": "red"}, "colour"),
        # The parsed expiry is kept out of the body: sending it is an unknown key like any other.
        ({"role": "viewer", "expiry": "2099-01-01T00:00:00+00:00"}, "expiry"),
    ):
        response = await client.post("/api/v2/tokens", json=body, headers=tenant.headers())
        assert response.status == 400
        assert field in (await response.json())["message"]
