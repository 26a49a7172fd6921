"""`provisioner clusters add | list | drain | remove` against the real API and a real second
cluster; the URL is never printed."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import make_url

from service.domain.roles import Role
from service.settings import Settings
from tests.conftest import ClientFactory, Tenant
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.test_cli import Cli
from tests.integration.test_clusters_api import cluster_holding
from tests.integration.test_clusters_placement import paused_api

__all__ = ["fleet", "second_cluster", "second_servers"]


async def test_an_operator_adds_lists_drains_and_removes_a_cluster(
    aiohttp_client: ClientFactory,
    settings: Settings,
    tenant: Tenant,
    fleet: Fleet,
    second_cluster: str,
) -> None:
    cli = Cli(await paused_api(aiohttp_client, settings), tenant.tokens[Role.ADMIN])
    name = f"cli-{uuid.uuid4().hex[:6]}"
    fleet.names.append(name)
    region = fleet.region()
    password = make_url(second_cluster).password
    assert password is not None

    added = await cli(
        "clusters", "add", name, "--region", region, "--url", second_cluster, "--capacity", "9"
    )
    assert added.exit_code == 0, added.output
    assert name in added.stdout
    assert password not in added.stdout + added.stderr

    listed = await cli.json("clusters", "list")
    mine = next(cluster for cluster in listed if cluster["name"] == name)
    assert (mine["region"], mine["capacity"], mine["state"]) == (region, 9, "open")
    table = await cli("clusters", "list")
    assert name in table.stdout
    assert "0/9" in table.stdout

    drained = await cli.json("clusters", "drain", name)
    assert drained["state"] == "draining"

    removed = await cli.json("clusters", "remove", name)
    assert removed["status"] == "cluster removed"
    again = await cli("clusters", "remove", name)
    assert again.exit_code == 2
    assert f"cluster {name} does not exist" in again.stderr


async def test_a_bad_cluster_url_is_a_cli_error_without_the_url(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, fleet: Fleet
) -> None:
    cli = Cli(await paused_api(aiohttp_client, settings), tenant.tokens[Role.ADMIN])
    url = "postgresql://nobody:hush-hush@127.0.0.1:9/none"

    result = await cli("clusters", "add", "nowhere", "--region", fleet.region(), "--url", url)

    assert result.exit_code == 2
    assert "could not be reached" in result.stderr
    assert "hush-hush" not in result.stdout + result.stderr


async def test_the_accounts_of_a_cluster_come_a_page_at_a_time_or_all(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, fleet: Fleet
) -> None:
    api = await paused_api(aiohttp_client, settings)
    names = [f"CLI_PAGED_{number}" for number in range(3)]
    cluster = await cluster_holding(api, fleet, [(tenant, name) for name in names])
    cli = Cli(api, tenant.tokens[Role.ADMIN])

    first = await cli.json("clusters", "accounts", cluster, "--limit", "2")
    every = await cli.json("clusters", "accounts", cluster, "--limit", "2", "--all")
    table = await cli("clusters", "accounts", cluster, "--limit", "1", "--all")

    assert [account["name"] for account in first] == names[:2]
    assert [account["name"] for account in every] == names
    assert table.exit_code == 0, table.output
    assert all(name in table.stdout for name in names)
