"""`/metrics` parses as Prometheus text and moves when operations run."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from service.adapters.metrics import SNAPSHOT_TTL_SECONDS
from tests.conftest import Tenant
from tests.integration.api import Client, create

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: Client) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape_until_moved(client: Client, before: Samples, name: str, **labels: str) -> Samples:
    """Scrape until `name` grew: the database's aggregates are read at most every few seconds."""
    deadline = time.monotonic() + SNAPSHOT_TTL_SECONDS + 5
    while True:
        after = await scrape(client)
        if value(after, name, **labels) > value(before, name, **labels):
            return after
        assert time.monotonic() < deadline, f"{name} {labels} did not move"
        await asyncio.sleep(0.5)


async def test_metrics_move_when_operations_run(client: Client, tenant: Tenant) -> None:
    before = await scrape(client)
    await create(client, tenant, "measured")
    finished = "provisioner_operations_finished_total"
    after = await scrape_until_moved(client, before, finished, kind="create", outcome="succeeded")
    assert value(after, "provisioner_operations_accepted_total", kind="create") >= 1
    count = "provisioner_operation_duration_seconds_count"
    assert value(after, count, kind="create") > value(before, count, kind="create")
    requests = value(
        after,
        "provisioner_http_requests_total",
        route="/api/v2/accounts",
        method="POST",
        status="202",
    )
    assert requests >= 1
    assert value(after, "provisioner_workers_online") >= 1
    for gauge in (
        "provisioner_queue_ready",
        "provisioner_purge_queue_ready",
        "provisioner_purge_backlog",
        "provisioner_queue_oldest_waiting_seconds",
        "provisioner_purge_lag_seconds",
        "provisioner_queue_unacked",
    ):
        assert (gauge, ()) in after


async def test_unmatched_routes_are_counted_under_one_label(client: Client) -> None:
    await client.get("/no/such/thing")
    samples = await scrape(client)
    assert (
        value(
            samples,
            "provisioner_http_requests_total",
            route="unmatched",
            method="GET",
            status="404",
        )
        >= 1
    )


async def test_scrapes_in_a_row_are_served_one_snapshot(client: Client, tenant: Tenant) -> None:
    first = await scrape(client)
    await create(client, tenant, "unseen_yet")
    second = await scrape(client)  # within SNAPSHOT_TTL_SECONDS: the aggregates are not read
    finished = "provisioner_operations_finished_total"
    assert value(second, finished, kind="create", outcome="succeeded") == value(
        first, finished, kind="create", outcome="succeeded"
    )
