"""A cluster down stops only its accounts: its operations retry with backoff and finish soon
after it is back (beat's probe publishes them again), creates elsewhere carry on, and the queues
view and /metrics show its health."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.adapters.embedded import TENANT, EmbeddedServers
from service.domain.lifecycle import OperationKind
from service.settings import Settings
from service.store.clusters import note_health
from service.store.models import Operation
from tests.conftest import Tenant
from tests.integration.api import Client, accept_create, create, wait_result
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.test_metrics import scrape, value
from tests.log_lines import json_lines
from tests.processes import ServiceProcess
from workers.resources import WorkerResources
from workers.wakeups import AwayClusters, wake_clusters_back

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


async def once_back(client: Client, tenant: Tenant, location: str) -> tuple[int, dict[str, Any]]:
    """The operation's answer, which must come within RESULT_TIMEOUT_SECONDS (20 s) of the
    cluster's return: beat's probe (every CLUSTER_PROBE_INTERVAL_SECONDS, 5 s) finds it back
    and publishes the operation again, instead of it waiting out its backoff (up to a minute)
    and the worker's hold-off of the cluster (10 s)."""
    return await wait_result(client, location, tenant.headers())


def cluster_back_lines(worker: ServiceProcess, cluster: str) -> list[dict[str, Any]]:
    """The worker's `cluster.back` lines about `cluster` (the probe found it answering)."""
    return [
        line
        for line in json_lines(worker.log())
        if line.get("event") == "cluster.back" and line.get("cluster") == cluster
    ]


def probe_here(settings: Settings) -> tuple[int, list[tuple[OperationKind, uuid.UUID]], set[str]]:
    """One probe in this process, as beat's task runs it: how many operations it published,
    what it would have published, and the clusters found away since."""
    resources = WorkerResources(settings)
    published: list[tuple[OperationKind, uuid.UUID]] = []
    try:
        router = resources.router()
        assert router is not None
        away = AwayClusters(resources.redis, settings.queue_name)
        woken = wake_clusters_back(resources.sessions, router, published.extend, away)
        return woken, published, away.names()
    finally:
        resources.close()


def last_published_at(engine: Engine, location: str) -> datetime | None:
    """When a sweep last published the operation again (None: never)."""
    with Session(engine) as session:
        operation = session.get(Operation, uuid.UUID(location.rsplit("/", 1)[1]))
        assert operation is not None
        return operation.last_published_at


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

    status, body = await once_back(client, tenant, location)
    assert status == 200, body
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

    status, body = await once_back(client, tenant, location)
    assert status == 200, body
    assert fleet.accounts_on(cluster) == ["OUTLASTS_ITS_ATTEMPTS"]


async def test_every_operation_held_off_on_a_cluster_ends_soon_after_it_is_back(
    client: Client,
    tenant: Tenant,
    fleet: Fleet,
    outage: Outage,
    worker: ServiceProcess,
    settings: Settings,
) -> None:
    names = [f"HELD_OFF_{index}" for index in range(4)]
    try:
        locations = [
            await accept_create(client, tenant, name, region=outage.region) for name in names
        ]
        await until(lambda: fleet.cluster(outage.cluster).last_error is not None, 10)
        # Their backoffs grow meanwhile (the last tries 4 to 8 s apart, and more).
        await asyncio.sleep(12)
    finally:
        outage.end()

    results = await asyncio.gather(*(once_back(client, tenant, where) for where in locations))
    assert [status for status, _ in results] == [200] * len(names), results
    assert sorted(fleet.accounts_on(outage.cluster)) == names
    # The probe found it away during the outage, so it tells (maybe after a step found it back
    # and ended the operations before the probe came round).
    probe_seconds = settings.cluster_probe_interval_seconds
    await until(lambda: cluster_back_lines(worker, outage.cluster), probe_seconds + 5)


async def test_a_probe_of_a_cluster_still_down_publishes_nothing(
    client: Client,
    tenant: Tenant,
    fleet: Fleet,
    outage: Outage,
    settings: Settings,
    engine: Engine,
    worker: ServiceProcess,
) -> None:
    location = await accept_create(client, tenant, "STILL_DOWN", region=outage.region)
    await until(lambda: fleet.cluster(outage.cluster).last_error is not None, 10)
    published_at = last_published_at(engine, location)
    woken, published, found_away = await asyncio.to_thread(probe_here, settings)
    assert (woken, published) == (0, [])
    assert outage.cluster in found_away
    # Nor do beat's probes meanwhile: the operation is not published again, and waits.
    await asyncio.sleep(2 * settings.cluster_probe_interval_seconds + 1)
    assert last_published_at(engine, location) == published_at
    assert (await client.get(location, headers=tenant.headers())).status == 202
    assert cluster_back_lines(worker, outage.cluster) == []
    assert not fleet.cluster(outage.cluster).last_ok_on


async def test_a_cluster_marked_down_by_a_busy_step_is_recorded_up_and_wakes_nothing(
    fleet: Fleet, settings: Settings, engine: Engine
) -> None:
    """Only a cluster a probe found away is woken: one that answers the first probe was marked
    down by a step's busy or refused error, whose operations keep their counted backoff."""
    url = settings.tenant_url()
    assert url is not None
    _, cluster = fleet.add_real(url)
    with Session(engine) as session, session.begin():
        note_health(session, cluster, now=datetime.now(UTC), error="lock timeout (SQLSTATE 55P03)")
    woken, published, found_away = await asyncio.to_thread(probe_here, settings)
    assert (woken, published) == (0, [])
    assert cluster not in found_away
    healed = fleet.cluster(cluster)
    assert healed.last_ok_on is not None
    assert healed.last_error_on is not None
    assert healed.last_ok_on > healed.last_error_on
