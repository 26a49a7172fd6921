"""A cluster down stops only its accounts: its operations retry with backoff and finish once it
is back, creates elsewhere carry on, and the queues view and /metrics show its health."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientResponse

from service.adapters.embedded import TENANT, EmbeddedServers
from service.settings import Settings
from tests.conftest import Tenant
from tests.integration.api import Client, accept_create, create
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.test_metrics import scrape, value
from workers.drivers.routing import HOLD_OFF_SECONDS

__all__ = ["fleet", "second_cluster", "second_servers"]


@dataclass(frozen=True)
class Outage:
    """The second cluster, registered in a region of its own, and stopped until `end()`."""

    region: str
    cluster: str
    servers: EmbeddedServers

    def end(self) -> None:
        self.servers.start(TENANT)  # a no-op when it runs


@pytest.fixture
def outage(fleet: Fleet, second_cluster: str, second_servers: EmbeddedServers) -> Iterator[Outage]:
    region, cluster = fleet.add_real(second_cluster)
    second_servers.stop_server(TENANT)
    down = Outage(region, cluster, second_servers)
    try:
        yield down
    finally:
        down.end()


async def once_back(client: Client, tenant: Tenant, location: str) -> ClientResponse:
    """The operation's answer once it ended after the outage: its next try comes after its
    backoff (at most a minute) and the worker's hold-off of the cluster (10 s)."""
    deadline = time.monotonic() + 60 + HOLD_OFF_SECONDS + 10
    while (response := await client.get(location, headers=tenant.headers())).status == 202:
        assert time.monotonic() < deadline, "the operation did not end once the cluster was back"
        await asyncio.sleep(0.5)
    return response


async def until(check: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_an_outage_stops_only_that_clusters_accounts_until_it_is_back(
    client: Client, tenant: Tenant, fleet: Fleet, outage: Outage
) -> None:
    region, cluster = outage.region, outage.cluster
    try:
        location = await accept_create(client, tenant, "WAITS_FOR_ITS_CLUSTER", region=region)
        await until(lambda: fleet.cluster(cluster).last_error is not None, 10)
        # The rest of the fleet carries on meanwhile.
        await create(client, tenant, "ON_ANOTHER_CLUSTER")
        still = await client.get(location, headers=tenant.headers())
        assert still.status == 202
        report = await (await client.get("/api/v2/queues", headers=tenant.headers())).json()
        health = next(item for item in report["fleet"] if item["name"] == cluster)
        assert health["up"] is False
        assert "could not be reached" in health["last_error"]
        samples = await scrape(client)  # this app's first scrape: read from the database now
        assert value(samples, "provisioner_cluster_up", cluster=cluster, region=region) == 0
        assert (
            value(samples, "provisioner_cluster_placed_accounts", cluster=cluster, region=region)
            == 1
        )
    finally:
        outage.end()

    response = await once_back(client, tenant, location)
    assert response.status == 200, await response.text()
    assert fleet.accounts_on(cluster) == ["WAITS_FOR_ITS_CLUSTER"]
    await until(lambda: fleet.cluster(cluster).last_ok_on is not None, 5)
    healed = fleet.cluster(cluster)
    assert healed.last_ok_on is not None
    assert healed.last_error_on is not None
    assert healed.last_ok_on > healed.last_error_on


async def test_an_outage_longer_than_every_attempt_still_ends_when_the_cluster_is_back(
    client: Client, tenant: Tenant, fleet: Fleet, outage: Outage, settings: Settings
) -> None:
    region, cluster = outage.region, outage.cluster
    try:
        location = await accept_create(client, tenant, "OUTLASTS_ITS_ATTEMPTS", region=region)
        # MAX_ATTEMPTS backoffs (1, 2, 4, 8 s at most) are all spent by now.
        await asyncio.sleep(2 ** (settings.max_attempts - 1) + 1)
        still = await client.get(location, headers=tenant.headers())
        assert still.status == 202
    finally:
        outage.end()

    response = await once_back(client, tenant, location)
    assert response.status == 200, await response.text()
    assert fleet.accounts_on(cluster) == ["OUTLASTS_ITS_ATTEMPTS"]
