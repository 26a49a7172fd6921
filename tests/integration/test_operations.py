"""Operations you can follow: read, list, page, cancel, and wait instead of polling."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from service.domain.roles import Role
from service.settings import Settings
from service.web.app import create_app
from tests.conftest import SLOW_SECONDS, ClientFactory, Tenant
from tests.integration.api import Client, accept_create, create, drop, wait_result


def handle_of(location: str) -> str:
    return location.rsplit("/", 1)[1]


async def read(client: Client, tenant: Tenant, handle: str, query: str = "") -> dict[str, Any]:
    response = await client.get(f"/api/v2/operations/{handle}{query}", headers=tenant.headers())
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_a_finished_operation_reads_as_a_resource(client: Client, tenant: Tenant) -> None:
    handle = handle_of(await create(client, tenant, "followed"))
    operation = await read(client, tenant, handle)
    assert operation["id"] == handle
    assert (operation["kind"], operation["account"]) == ("create", "FOLLOWED")
    assert (operation["state"], operation["done"], operation["attempts"]) == ("succeeded", True, 1)
    assert operation["step"] is None
    assert operation["error"] is None
    assert operation["result"]["status"] == "Request successfully completed"
    assert operation["result"]["credentials"]["password"] is None
    assert operation["result_location"] == f"/api/v2/results/{handle}"
    for moment in ("created_on", "started_on", "finished_on"):
        assert "+00:00" in operation[moment]


async def test_a_running_operation_shows_the_step_it_is_on(client: Client, tenant: Tenant) -> None:
    handle = handle_of(await accept_create(client, tenant, "slow_steps"))
    seen: set[str] = set()
    for _ in range(100):
        operation = await read(client, tenant, handle)
        if operation["state"] == "running" and operation["step"]:
            seen.add(operation["step"])
        if operation["done"]:
            break
        await asyncio.sleep(0.05)
    assert "waiting (injected latency)" in seen
    assert operation["state"] == "succeeded"


async def test_operations_are_listed_newest_first_filtered_and_paged_with_link(
    client: Client, tenant: Tenant
) -> None:
    for name in ("pager_a", "pager_b", "pager_c"):
        await create(client, tenant, name)
    await drop(client, tenant, "pager_b")
    response = await client.get("/api/v2/operations?limit=2", headers=tenant.headers())
    assert response.status == 200
    handles: list[str] = []
    page = await response.json()
    while True:
        handles.extend(item["id"] for item in page)
        link = response.headers.get("Link")
        if link is None:
            break
        url, rel = link.split(";")
        assert rel.strip() == 'rel="next"'
        response = await client.get(url.strip("<> "), headers=tenant.headers())
        page = await response.json()
    assert len(handles) == len(set(handles)) == 4
    everything = await (await client.get("/api/v2/operations", headers=tenant.headers())).json()
    assert [item["id"] for item in everything] == handles
    created = [item["created_on"] for item in everything]
    assert created == sorted(created, reverse=True)
    drops = await (
        await client.get("/api/v2/operations?kind=drop&state=succeeded", headers=tenant.headers())
    ).json()
    assert [(item["kind"], item["account"]) for item in drops] == [("drop", "PAGER_B")]
    by_account = await (
        await client.get("/api/v2/operations?account=pager_b", headers=tenant.headers())
    ).json()
    assert [item["kind"] for item in by_account] == ["drop", "create"]
    later = everything[0]["created_on"].replace("+00:00", "Z")
    recent = await (
        await client.get(f"/api/v2/operations?since={later}", headers=tenant.headers())
    ).json()
    assert [item["id"] for item in recent] == [everything[0]["id"]]


async def test_bad_operation_filters_are_400(client: Client, tenant: Tenant) -> None:
    for query in (
        "state=done",
        "kind=explode",
        "since=yesterday",
        "since=2026-01-01T00:00:00",
        "limit=0",
        "cursor=not-ours",
        "account=1bad",
        "account=",
    ):
        response = await client.get(f"/api/v2/operations?{query}", headers=tenant.headers())
        assert response.status == 400, query
        assert query.split("=")[0] in (await response.json())["message"]


async def test_a_queued_create_can_be_canceled_and_frees_its_name(
    aiohttp_client: ClientFactory, client: Client, tenant: Tenant, settings: Settings
) -> None:
    # An API publishing to a queue no worker reads: the operation stays queued (for the
    # republish sweep's REPUBLISH_AFTER_SECONDS, which is plenty).
    paused = await aiohttp_client(create_app(settings.model_copy(update={"queue_name": "paused"})))
    location = await accept_create(paused, tenant, "never_made")
    handle = handle_of(location)
    viewer = await client.post(
        f"/api/v2/operations/{handle}:cancel", headers=tenant.headers(Role.VIEWER)
    )
    assert viewer.status == 403
    canceled = await client.post(f"/api/v2/operations/{handle}:cancel", headers=tenant.headers())
    assert canceled.status == 200, await canceled.text()
    assert (await canceled.json())["state"] == "canceled"
    status, body = await wait_result(client, location, tenant.headers())
    assert status == 409
    assert "canceled" in body["message"]
    assert (await client.get("/api/v2/accounts/never_made", headers=tenant.headers())).status == 404
    again = await client.post("/api/v2/operations/" + handle + ":cancel", headers=tenant.headers())
    assert again.status == 409
    await asyncio.sleep(3)  # the sweep republishes it; the worker must leave it canceled
    assert (await read(client, tenant, handle))["state"] == "canceled"
    await create(client, tenant, "never_made")


async def test_a_running_or_foreign_operation_cannot_be_canceled(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    handle = handle_of(await accept_create(client, tenant, "slow_cancel"))
    for _ in range(100):
        if (await read(client, tenant, handle))["state"] == "running":
            break
        await asyncio.sleep(0.05)
    refused = await client.post(f"/api/v2/operations/{handle}:cancel", headers=tenant.headers())
    assert refused.status == 409
    assert "running" in (await refused.json())["message"]
    foreign = await client.post(
        f"/api/v2/operations/{handle}:cancel", headers=other_tenant.headers()
    )
    assert foreign.status == 404


async def test_wait_returns_as_soon_as_the_worker_finishes(client: Client, tenant: Tenant) -> None:
    location = await accept_create(client, tenant, "slow_waited")
    started = time.monotonic()
    answer = await client.get(f"{location}?wait=30", headers=tenant.headers())
    elapsed = time.monotonic() - started
    assert answer.status == 200
    assert (await answer.json())["credentials"]["user"]
    assert elapsed < SLOW_SECONDS + 10  # woken by the notification, long before 30 s


async def test_wait_answers_202_when_the_time_is_up(client: Client, tenant: Tenant) -> None:
    location = await accept_create(client, tenant, "slow_timeout")
    started = time.monotonic()
    answer = await client.get(f"{location}?wait=1", headers=tenant.headers())
    assert answer.status == 202
    assert answer.headers["Retry-After"] == "1"
    assert time.monotonic() - started >= 1
    operation = await read(client, tenant, handle_of(location), "?wait=30")
    assert operation["state"] == "succeeded"


async def test_wait_is_bounded(client: Client, tenant: Tenant) -> None:
    location = await create(client, tenant, "bounded")
    response = await client.get(f"{location}?wait=61", headers=tenant.headers())
    assert response.status == 400
    assert "wait" in (await response.json())["message"]
