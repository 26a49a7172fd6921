"""GET /api/v2/accounts/{ref}/plan: the edition, each limit, the measured usage against it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from service.settings import Settings
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, get_account
from tests.integration.test_usage import create_account, open_sessions, scan_now


async def plan_of(client: Client, tenant: Tenant, ref: str) -> dict[str, Any]:
    response = await client.get(f"/api/v2/accounts/{ref}/plan", headers=tenant.headers())
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_the_plan_shows_each_limit_and_the_measured_usage_against_it(
    client: Client,
    tenant: Tenant,
    settings: Settings,
    engine: Engine,
    aiohttp_client: ClientFactory,
) -> None:
    credentials = await create_account(client, tenant, "planned")
    account = await get_account(client, tenant, "planned")
    plan = await plan_of(client, tenant, f"id:{account['id']}")
    connections = settings.edition_connection_limits["STANDARD"]
    storage = int(settings.edition_storage_limits["STANDARD"])
    assert plan == {
        "id": account["id"],
        "name": "PLANNED",
        "edition": "STANDARD",
        "measured_on": None,
        "limits": [
            {
                "name": "connections",
                "limit": connections,
                "used": None,
                "over": False,
                "near": False,
            },
            {"name": "storage_bytes", "limit": storage, "used": None, "over": False, "near": False},
        ],
    }

    with open_sessions(credentials, 2):
        await scan_now(settings, engine)
    usage = (await get_account(client, tenant, "planned"))["usage"]
    plan = await plan_of(client, tenant, "planned")
    assert plan["measured_on"] == usage["measured_on"]
    assert [(row["used"], row["over"]) for row in plan["limits"]] == [
        (2, False),
        (usage["storage_bytes"], False),
    ]

    # A plan table with smaller limits: two sessions are at (not over) a limit of two, and an
    # empty database (~7 MB) is over 1 MiB.
    small = settings.model_copy(
        update={
            "edition_connection_limits": {**settings.edition_connection_limits, "STANDARD": 2},
            "edition_storage_limits": {**settings.edition_storage_limits, "STANDARD": 1 << 20},
        }
    )
    tight = await aiohttp_client(create_app(small))
    plan = await plan_of(tight, tenant, "planned")
    assert [(row["name"], row["limit"], row["over"], row["near"]) for row in plan["limits"]] == [
        ("connections", 2, False, True),
        ("storage_bytes", 1 << 20, True, True),
    ]


async def test_an_unknown_account_has_no_plan(client: Client, tenant: Tenant) -> None:
    for ref in ("nobody", "externalId:nobody"):
        response = await client.get(f"/api/v2/accounts/{ref}/plan", headers=tenant.headers())
        assert response.status == 404
        assert (await response.json())["code"] == "not_found"
    bad = await client.get("/api/v2/accounts/id:x/plan", headers=tenant.headers())
    assert bad.status == 400
