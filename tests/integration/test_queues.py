"""`/api/v2/queues`: depth while no worker reads a queue, zero once one drains it, workers alive."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from service.domain.roles import Role
from service.settings import Settings
from service.web.app import create_app
from service.web.queues import CACHE_SECONDS
from tests.conftest import ClientFactory, Tenant, service_env
from tests.integration.api import Client, accepted_location, account_body
from tests.processes import start_service


async def report(client: Client, tenant: Tenant) -> dict[str, Any]:
    response = await client.get("/api/v2/queues", headers=tenant.headers(Role.OPERATOR))
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_viewers_may_not_watch_the_queues(client: Client, tenant: Tenant) -> None:
    response = await client.get("/api/v2/queues", headers=tenant.headers(Role.VIEWER))
    assert response.status == 403


async def test_the_session_worker_is_online_with_its_counts(client: Client, tenant: Tenant) -> None:
    workers = (await report(client, tenant))["workers"]
    assert workers
    assert all(worker["name"].startswith("provisioner@") for worker in workers)
    assert all(worker["processed"] >= 0 and worker["active"] >= 0 for worker in workers)


async def test_a_queue_nobody_reads_has_depth_until_a_worker_drains_it(
    aiohttp_client: ClientFactory,
    client: Client,
    tenant: Tenant,
    settings: Settings,
    tmp_path: Path,
) -> None:
    queue = f"paused-{uuid.uuid4().hex[:6]}"
    paused_settings = settings.model_copy(update={"queue_name": queue})
    paused = await aiohttp_client(create_app(paused_settings))
    for index in range(3):
        response = await paused.post(
            "/api/v2/accounts", json=account_body(f"queued_{index}"), headers=tenant.headers()
        )
        await accepted_location(response)
    waiting, purges = (await report(paused, tenant))["queues"]
    assert (waiting["name"], waiting["ready"]) == (queue, 3)
    assert waiting["oldest_waiting_seconds"] is not None
    # The purge scan's batches have a queue of their own; no purge is queued here.
    assert (purges["name"], purges["ready"]) == (f"{queue}.purges", 0)
    drainer = start_service("worker", service_env(paused_settings), tmp_path, " ready.")
    try:
        for _ in range(100):
            await asyncio.sleep(max(0.2, CACHE_SECONDS / 4))
            drained, _ = (await report(paused, tenant))["queues"]
            if drained["ready"] == 0:
                break
        assert drained["ready"] == 0
    finally:
        drainer.stop()


async def test_counts_backlog_and_purges_are_reported(client: Client, tenant: Tenant) -> None:
    body = await report(client, tenant)
    assert set(body) >= {
        "queues",
        "workers",
        "operations_last_hour",
        "purge_backlog",
        "next_purges",
        "stuck",
        "generated_on",
    }
    assert body["purge_backlog"]["due"] >= 0
    assert body["stuck"] == []
