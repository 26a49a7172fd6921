"""Fleet-wide moves: an admin of a FLEET_ORGANIZATIONS organization lists what a cluster holds,
of every organization, and moves another organization's account (named by its immutable id)
off it; the token that asked reads the result, the account's own organization sees it moved."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import Engine

from service.domain.roles import Role
from service.settings import Settings
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant, make_tenant
from tests.integration.api import Client, accepted_location, wait_result
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.graphql import graphql_session, run
from tests.integration.test_account_moves import (
    Pair,
    account_with_rows,
    pair,
    rows_at,
    source_cluster,
)
from tests.integration.test_cli import Cli

__all__ = ["fleet", "pair", "second_cluster", "second_servers", "source_cluster"]
OPERATION = "query($id: ID!) { operation(id: $id) { id kind state } }"


@pytest.fixture
async def api(aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant) -> Client:
    """The API where only `tenant`'s organization manages the fleet."""
    changes = {"fleet_organizations": (tenant.name,)}
    return await aiohttp_client(create_app(settings.model_copy(update=changes)))


async def test_a_fleet_admin_moves_another_organizations_account_and_reads_the_result(
    api: Client,
    client: Client,
    engine: Engine,
    tenant: Tenant,
    other_tenant: Tenant,
    fleet: Fleet,
    pair: Pair,
) -> None:
    await account_with_rows(client, other_tenant, "THEIRS", pair.region)

    listed = await api.get(f"/api/v2/clusters/{pair.source}/accounts", headers=tenant.headers())
    assert listed.status == 200
    [found] = await listed.json()
    assert (found["organization"], found["name"], found["state"]) == (
        other_tenant.name,
        "THEIRS",
        "ACTIVE",
    )
    account_id = found["id"]
    path = f"/api/v2/clusters/{pair.target}:move"
    body = {"account": account_id}
    for refused in (
        await api.get(f"/api/v2/clusters/{pair.source}/accounts", headers=other_tenant.headers()),
        await api.post(path, json=body, headers=other_tenant.headers()),
        await api.post(path, json=body, headers=tenant.headers(Role.OPERATOR)),
    ):
        assert refused.status == 403, await refused.json()

    location = await accepted_location(await api.post(path, json=body, headers=tenant.headers()))
    status, result = await wait_result(api, location, tenant.headers())  # the asking token reads

    assert status == 200, result
    mine = await api.get("/api/v2/accounts/THEIRS", headers=tenant.headers())
    assert mine.status == 404  # the fleet admin's organization holds no such account
    view = await api.get("/api/v2/accounts/THEIRS", headers=other_tenant.headers())
    theirs = await view.json()
    assert (theirs["id"], theirs["cluster"], theirs["state"]) == (account_id, pair.target, "ACTIVE")
    assert rows_at(theirs["account_url"]) == [(500, "row 99")]
    status, _ = await wait_result(api, location, other_tenant.headers())  # the account's org too
    assert status == 200
    # GraphQL answers the asking token as REST does; a third organization sees nothing.
    handle = location.rsplit("/", 1)[-1]
    third_tenant = make_tenant(engine)
    asked = {}
    for reader in (tenant, third_tenant):
        async with graphql_session(api, reader) as session:
            asked[reader.name] = (await run(session, OPERATION, id=handle))["operation"]
    assert asked[tenant.name] == {"id": handle, "kind": "MOVE", "state": "SUCCEEDED"}
    assert asked[third_tenant.name] is None
    assert fleet.accounts_on(pair.target) == ["THEIRS"]
    moved = await api.get(f"/api/v2/clusters/{pair.source}/accounts", headers=tenant.headers())
    assert await moved.json() == []


async def test_a_fleet_move_names_an_account_by_id_and_refuses_what_is_not_one(
    api: Client, tenant: Tenant, fleet: Fleet
) -> None:
    cluster = fleet.add(fleet.region(), capacity=1)
    path = f"/api/v2/clusters/{cluster}:move"
    for body, status in (
        ({"account": str(uuid.uuid4())}, 404),
        ({"account": "THEIRS"}, 400),
        ({"account": str(uuid.uuid4()), "cluster": "x"}, 400),
        ([], 400),
    ):
        response = await api.post(path, json=body, headers=tenant.headers())
        assert response.status == status, await response.json()
    unknown = await api.get("/api/v2/clusters/no-such-cluster/accounts", headers=tenant.headers())
    assert unknown.status == 404


async def test_the_cli_lists_a_clusters_accounts_and_moves_one_by_id(
    api: Client, client: Client, tenant: Tenant, other_tenant: Tenant, pair: Pair
) -> None:
    await account_with_rows(client, other_tenant, "CLI_THEIRS", pair.region)
    cli = Cli(api, tenant.tokens[Role.ADMIN])

    listed = await cli("clusters", "accounts", pair.source, "--json")
    assert listed.exit_code == 0, listed.output
    [found] = [row for row in json.loads(listed.stdout) if row["name"] == "CLI_THEIRS"]
    moved = await cli("clusters", "move", f"id:{found['id']}", "--to", pair.target, "--wait")

    assert moved.exit_code == 0, moved.output
    view = await client.get("/api/v2/accounts/CLI_THEIRS", headers=other_tenant.headers())
    assert (await view.json())["cluster"] == pair.target
