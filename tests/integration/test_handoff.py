"""An accepted operation is durable before the 202: a lost hand-off is published by the sweep."""

from __future__ import annotations

from typing import Any

from service.settings import Settings
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, accept_create, wait_result


async def test_a_create_accepted_while_the_broker_is_unreachable_still_completes(
    aiohttp_client: ClientFactory,
    settings: Settings,
    client: Client,
    tenant: Tenant,
) -> None:
    # An API whose broker is a closed port: publishing fails after the commit.
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    cut_off: Client = await aiohttp_client(create_app(unreachable))
    location = await accept_create(cut_off, tenant, "orphaned")
    # The healthy API (and the session's worker + beat) see it through: the republish sweep
    # publishes operations still queued after REPUBLISH_AFTER_SECONDS.
    status, body = await wait_result(client, location, tenant.headers())
    assert (status, body["status"]) == (200, "Request successfully completed")
    readiness: Any = await cut_off.get("/readyz")
    assert readiness.status == 503
    assert "broker" in (await readiness.json())["message"]


async def test_readiness_reports_both_dependencies_answering(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await client.get("/healthz")).status == 200
