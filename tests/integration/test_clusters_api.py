"""The clusters resource: admins add (after a real probe), list, read, change and remove tenant
clusters; the URL never comes back; others are refused; a bad URL or weak role is a clear 400."""

from __future__ import annotations

import base64
import logging
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from service.domain.roles import Role
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, account_body
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.test_clusters_placement import paused_api
from tests.integration.test_validation_and_errors import error_of

__all__ = ["fleet", "second_cluster", "second_servers"]
PATH = "/api/v2/clusters"


def add_body(name: str, region: str, url: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "region": region, "url": url, **fields}


async def create_status(api: Client, tenant: Tenant, name: str, region: str) -> int:
    body = account_body(name, region=region)
    return (await api.post("/api/v2/accounts", json=body, headers=tenant.headers())).status


async def cluster_holding(api: Client, fleet: Fleet, accounts: list[tuple[Tenant, str]]) -> str:
    """A new cluster, alone in a new region, holding these accounts (created in this order)."""
    region = fleet.region()
    cluster = fleet.add(region, capacity=len(accounts))
    for owner, name in accounts:
        assert await create_status(api, owner, name, region) == 202
    return cluster


@pytest.fixture
async def api(aiohttp_client: ClientFactory, settings: Any) -> Client:
    return await paused_api(aiohttp_client, settings)


async def test_an_admin_adds_lists_changes_and_removes_a_cluster(
    api: Client, tenant: Tenant, fleet: Fleet, second_cluster: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    name = f"c-{uuid.uuid4().hex[:8]}"
    fleet.names.append(name)  # removed after the test, whatever happens
    region = fleet.region()
    added = await api.post(
        PATH,
        json=add_body(
            name.upper(), region.lower(), second_cluster, capacity=7, public_host="db.example.test"
        ),
        headers=tenant.headers(),
    )
    assert added.status == 201, await added.text()
    body = await added.json()
    assert body["name"] == name
    assert body["region"] == region
    assert (body["public_host"], body["public_port"]) == (
        "db.example.test",
        make_url(second_cluster).port,
    )
    assert (body["capacity"], body["state"], body["placed_accounts"]) == (7, "open", 0)
    password = make_url(second_cluster).password
    assert password is not None
    assert "url" not in body
    assert password not in await added.text()

    listed = await api.get(PATH, headers=tenant.headers())
    assert name in [cluster["name"] for cluster in await listed.json()]
    assert password not in await listed.text()

    drained = await api.patch(
        f"{PATH}/{name}", json={"state": "draining", "capacity": 3}, headers=tenant.headers()
    )
    assert drained.status == 200
    assert ((await drained.json())["state"], (await drained.json())["capacity"]) == ("draining", 3)
    assert await create_status(api, tenant, "NOT_PLACED", region) == 409

    removed = await api.delete(f"{PATH}/{name}", headers=tenant.headers())
    assert removed.status == 200
    assert (await removed.json())["status"] == "cluster removed"
    gone = await api.get(f"{PATH}/{name}", headers=tenant.headers())
    assert gone.status == 404
    assert "tenant_cluster.added" in caplog.text
    assert password not in caplog.text


async def test_a_cluster_holding_accounts_is_not_removed(
    api: Client, tenant: Tenant, fleet: Fleet
) -> None:
    region = fleet.region()
    cluster = fleet.add(region, capacity=2)
    assert await create_status(api, tenant, "HELD", region) == 202

    refused = await api.delete(f"{PATH}/{cluster}", headers=tenant.headers())

    assert refused.status == 409
    assert "1 account" in (await refused.json())["message"]


async def test_only_the_fleet_organizations_admins_manage_the_fleet(
    aiohttp_client: ClientFactory, settings: Any, tenant: Tenant, other_tenant: Tenant
) -> None:
    changes = {"fleet_organizations": (tenant.name,)}
    restricted = await aiohttp_client(create_app(settings.model_copy(update=changes)))

    allowed = await restricted.get(PATH, headers=tenant.headers())
    refused = await restricted.get(PATH, headers=other_tenant.headers())

    assert allowed.status == 200
    assert refused.status == 403
    body = await refused.json()
    assert body["code"] == "permission_denied"
    assert "FLEET_ORGANIZATIONS" in body["message"]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER])
async def test_only_admins_see_the_fleet(api: Client, tenant: Tenant, role: Role) -> None:
    for method, path in (("GET", PATH), ("POST", PATH), ("DELETE", f"{PATH}/default")):
        response = await api.request(method, path, json={}, headers=tenant.headers(role))
        assert response.status == 403, (method, path)


async def test_a_bad_url_or_a_weak_role_is_a_clear_400_without_the_url(
    api: Client, tenant: Tenant, fleet: Fleet, second_cluster: str
) -> None:
    region = fleet.region()
    weak_password = "Weak-pw-" + uuid.uuid4().hex[:8]
    weak_role = f"weak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(second_cluster, autocommit=True) as connection:
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                sql.Identifier(weak_role), sql.Literal(weak_password)
            )
        )
        connection.execute(
            sql.SQL("GRANT CONNECT ON DATABASE postgres TO {}").format(sql.Identifier(weak_role))
        )
    weak = make_url(second_cluster).set(username=weak_role, password=weak_password)
    cases = {
        "http://example.test/": "postgresql://",
        "postgresql://nobody:wrong-secret@127.0.0.1:9/none": "could not be reached",
        make_url(second_cluster).set(password="wrong-secret").render_as_string(False): "refused",
        weak.render_as_string(False): "lacks CREATEROLE, SUPERUSER",
    }
    for url, expected in cases.items():
        response = await api.post(
            PATH,
            json=add_body(f"bad-{uuid.uuid4().hex[:6]}", region, url),
            headers=tenant.headers(),
        )
        text = await response.text()
        assert response.status == 400, text
        assert expected in (await response.json())["message"]
        assert "secret" not in text
        assert weak_password not in text
    bad_body = await api.post(PATH, json={"name": "9bad", "capacity": -1}, headers=tenant.headers())
    message = (await bad_body.json())["message"]
    assert bad_body.status == 400
    assert all(field in message for field in ("region", "url", "capacity"))


async def test_a_moved_cluster_gets_its_new_url_after_the_same_checks(
    api: Client, tenant: Tenant, fleet: Fleet, second_cluster: str
) -> None:
    cluster = fleet.add(fleet.region(), capacity=1)  # registered at an address nobody answers
    before = fleet.cluster(cluster).sealed_url

    refused = await api.patch(
        f"{PATH}/{cluster}",
        json={"url": "postgresql://x:hush@127.0.0.1:9/none"},
        headers=tenant.headers(),
    )
    assert refused.status == 400
    assert "hush" not in await refused.text()
    assert fleet.cluster(cluster).sealed_url == before

    moved = await api.patch(
        f"{PATH}/{cluster}", json={"url": second_cluster}, headers=tenant.headers()
    )
    assert moved.status == 200, await moved.text()
    assert "url" not in await moved.json()
    assert fleet.cluster(cluster).sealed_url != before
    assert fleet.seal.open(fleet.cluster(cluster).sealed_url) == second_cluster


async def test_a_clusters_accounts_come_in_pages_linked_to_the_next(
    api: Client, tenant: Tenant, other_tenant: Tenant, fleet: Fleet
) -> None:
    owners = (tenant, other_tenant, tenant, other_tenant, tenant)
    names = [f"PAGED_{number}" for number in range(len(owners))]
    cluster = await cluster_holding(api, fleet, list(zip(owners, names, strict=True)))
    accounts = f"{PATH}/{cluster}/accounts"

    response = await api.get(f"{accounts}?limit=2", headers=tenant.headers())
    seen: list[str] = []
    sizes: list[int] = []
    while True:
        assert response.status == 200, await response.text()
        page = await response.json()
        seen.extend(account["name"] for account in page)
        sizes.append(len(page))
        link = response.headers.get("Link")
        if link is None:
            break
        target, rel = link.split(";")
        assert rel.strip() == 'rel="next"'
        assert "limit=2" in target
        response = await api.get(target.strip("<> "), headers=tenant.headers())
    assert seen == names  # each once, oldest first
    assert sizes == [2, 2, 1]
    whole = await api.get(accounts, headers=tenant.headers())  # the default: one page of 1000
    assert "Link" not in whole.headers
    assert [account["name"] for account in await whole.json()] == names
    exact = await api.get(f"{accounts}?limit=5", headers=tenant.headers())
    assert "Link" not in exact.headers  # nothing after the fifth
    assert len(await exact.json()) == 5


async def test_a_bad_limit_or_cursor_for_a_clusters_accounts_is_a_400(
    api: Client, tenant: Tenant, fleet: Fleet
) -> None:
    cluster = fleet.add(fleet.region(), capacity=1)
    for query in (
        "limit=0",
        "limit=1001",
        "limit=many",
        "cursor=not-ours",
        "cursor=" + base64.urlsafe_b64encode(b"9" * 19).decode(),  # beyond a BIGINT
        "cursor=" + base64.urlsafe_b64encode(b"-1").decode(),
    ):
        response = await api.get(f"{PATH}/{cluster}/accounts?{query}", headers=tenant.headers())
        body = await error_of(response, 400)
        assert body["code"] == "invalid_argument", query
        assert query.split("=")[0] in body["message"], query
