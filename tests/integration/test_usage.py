"""Usage, measured on the real tenant cluster: an account's bytes and sessions, its plan's
limits, the over-limit flag, the `suspend` action, and what /metrics and the queues view show.

The scan's task body runs here with a copy of the session's settings (small storage limits);
the session's beat scans too, with the defaults, but skips a cluster measured in the last half
interval, so it does not undo a test's flag between two of its scans.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import psycopg
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no types (schemathesis brings it)
from pydantic import SecretStr
from redis import Redis
from sqlalchemy import Engine

from service.adapters.broker import create_celery, publish_batch
from service.domain.lifecycle import OperationKind
from service.domain.roles import Role
from service.domain.usage import StorageLimitAction
from service.settings import Settings
from service.store.db import sync_sessions
from service.store.usage import ClusterTotals
from service.web.app import create_app
from service.web.routes import openapi_document
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import (
    Client,
    accepted_location,
    account_body,
    get_account,
    wait_result,
)
from tests.integration.rows import operations_of
from tests.integration.tenant import login
from tests.integration.test_metrics import scrape, value
from workers.drivers import create_driver
from workers.usage import DEFAULT_CLUSTER, UsagePolicy, scan_usage

SNOWFLAKE_SPECS = Path(__file__).parents[1] / "conformance" / "specs" / "snowflake"
PASSWORD = "Sup3r-secret-pw!"  # what account_body sends
WRITTEN_BYTES = 20_000_000
# Between an empty account database (~7.5 MB) and one holding WRITTEN_BYTES more.
SMALL_LIMIT = 16 << 20
MiB = 1 << 20


def scan(settings: Settings, engine: Engine, **overrides: Any) -> ClusterTotals:
    """The usage scan's task body with a copy of the settings, publishing to the session's
    worker."""
    copy = settings.model_copy(update=overrides)
    policy = UsagePolicy(copy.plans(), StorageLimitAction(copy.storage_limit_action))
    assert copy.redis_url is not None
    with contextlib.closing(Redis.from_url(copy.redis_url)) as redis:
        celery = create_celery(copy)

        def publish(items: list[tuple[OperationKind, Any]]) -> None:
            publish_batch(celery, redis, copy.queue_name, items)

        totals = scan_usage(sync_sessions(engine), create_driver(copy), policy, publish)
    assert totals is not None
    return totals


def small_limits(settings: Settings, action: str = "flag") -> dict[str, Any]:
    limits = {**settings.edition_storage_limits, "STANDARD": SMALL_LIMIT}
    return {"edition_storage_limits": limits, "storage_limit_action": action}


async def scan_now(settings: Settings, engine: Engine, **overrides: Any) -> ClusterTotals:
    return await asyncio.to_thread(scan, settings, engine, **overrides)


async def create_account(client: Client, tenant: Tenant, name: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v2/accounts", json=account_body(name, edition="STANDARD"), headers=tenant.headers()
    )
    status, body = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 200, body
    credentials: dict[str, Any] = body["credentials"]
    return credentials


def write_data(credentials: dict[str, Any]) -> None:
    """WRITTEN_BYTES of rows too short to be compressed (TOAST leaves rows under ~2 kB)."""
    rows = WRITTEN_BYTES // 992 + 1
    with login(credentials, PASSWORD) as session:
        session.execute("CREATE TABLE big (payload text)")
        session.execute(
            "INSERT INTO big SELECT repeat(md5(i::text), 31) FROM generate_series(1, %s) i",
            (rows,),
        )


async def filled_account(client: Client, tenant: Tenant, name: str) -> dict[str, Any]:
    credentials = await create_account(client, tenant, name)
    await asyncio.to_thread(write_data, credentials)
    return credentials


@contextlib.contextmanager
def open_sessions(credentials: dict[str, Any], count: int) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for _ in range(count):
            stack.enter_context(login(credentials, PASSWORD))
        yield


async def patch(client: Client, tenant: Tenant, name: str, body: Any) -> dict[str, Any]:
    response = await client.patch(f"/api/v2/accounts/{name}", json=body, headers=tenant.headers())
    status, result = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 200, result
    return result


async def wait_account(
    client: Client, tenant: Tenant, name: str, **expected: Any
) -> dict[str, Any]:
    """The account once its fields have the expected values (a worker applies updates)."""
    for _ in range(200):
        account = await get_account(client, tenant, name)
        if all(account.get(key) == wanted for key, wanted in expected.items()):
            return account
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never had {expected}: {account}")


def refused(credentials: dict[str, Any]) -> bool:
    try:
        with login(credentials, PASSWORD):
            return False
    except psycopg.OperationalError:
        return True


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it."""
    if schema.pop("nullable", False) and isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    return schema


def snowflake_account_schema() -> dict[str, Any]:
    """Snowflake's Account, as a response schema: its write-only fields are not required, and
    the refs into common.yaml point into one document."""
    schemas: dict[str, Any] = {}
    for name in ("account.yaml", "common.yaml"):
        document = yaml.safe_load((SNOWFLAKE_SPECS / name).read_text())
        schemas.update(document["components"]["schemas"])
    text = json.dumps(schemas).replace('"./common.yaml#/', '"#/')
    schemas = json.loads(text, object_hook=_nullable)
    account = schemas["Account"]
    properties = account["properties"]
    account["required"] = [
        name for name in account["required"] if not properties[name].get("writeOnly")
    ]
    return {"$ref": "#/components/schemas/Account", "components": {"schemas": schemas}}


def assert_valid_account(account: dict[str, Any]) -> None:
    """Our generated document describes it, and Snowflake's spec still accepts it."""
    ours = openapi_document()
    jsonschema_rs.validate(
        {"$ref": "#/components/schemas/Account", "components": ours["components"]}, account
    )
    jsonschema_rs.validate(snowflake_account_schema(), account)


def update_requests(engine: Engine, tenant: Tenant, name: str) -> list[dict[str, Any]]:
    """The requests of the tenant's account's update operations, oldest first."""
    return [
        operation.request
        for operation in operations_of(engine, tenant.name, name, OperationKind.UPDATE)
    ]


async def test_usage_grows_by_the_data_written_and_counts_open_sessions(
    client: Client, tenant: Tenant, settings: Settings, engine: Engine
) -> None:
    credentials = await create_account(client, tenant, "measured")
    account = await get_account(client, tenant, "measured")
    assert "usage" not in account  # never measured yet
    assert account["limits"] == {
        "connections": settings.edition_connection_limits["STANDARD"],
        "storage_bytes": int(settings.edition_storage_limits["STANDARD"]),
    }
    await scan_now(settings, engine)
    before = (await get_account(client, tenant, "measured"))["usage"]
    assert before["connections"] == 0
    await asyncio.to_thread(write_data, credentials)
    with open_sessions(credentials, 3):
        totals = await scan_now(settings, engine)
    after = (await get_account(client, tenant, "measured"))["usage"]
    assert after["storage_bytes"] - before["storage_bytes"] >= WRITTEN_BYTES
    assert after["connections"] == 3
    assert after["measured_on"] > before["measured_on"]
    assert totals.cluster == DEFAULT_CLUSTER
    assert totals.storage_bytes >= after["storage_bytes"]
    assert totals.connections >= 3
    listed = await client.get("/api/v2/accounts?like=MEASURED", headers=tenant.headers())
    assert [row["usage"] for row in await listed.json()] == [after]


async def test_over_the_storage_limit_the_account_is_flagged_once_then_cleared(
    client: Client,
    tenant: Tenant,
    settings: Settings,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await filled_account(client, tenant, "hoarder")
    first = await scan_now(settings, engine, **small_limits(settings))
    flagged = await get_account(client, tenant, "hoarder")
    reason = flagged["over_limit"]["reason"]
    assert reason.startswith("storage ")
    assert reason.endswith(" MiB is over the STANDARD plan's 16 MiB"), reason
    assert flagged["enabled"] is True  # flag only
    assert "suspended_reason" not in flagged
    assert update_requests(engine, tenant, "HOARDER") == []
    await scan_now(settings, engine, **small_limits(settings))
    again = await get_account(client, tenant, "hoarder")
    assert again["over_limit"] == flagged["over_limit"]  # the same `since`
    warnings = [r for r in caplog.records if "account.over_limit" in r.getMessage()]
    assert len([r for r in warnings if "HOARDER" in r.getMessage()]) == 1
    assert first.over_limit_events >= 1
    assert first.over_storage >= 1
    await scan_now(settings, engine)  # the default 1 GiB: back under it
    cleared = await get_account(client, tenant, "hoarder")
    assert "over_limit" not in cleared
    assert cleared["usage"]["storage_bytes"] >= WRITTEN_BYTES


async def test_suspend_ends_logins_until_an_admin_re_enables_and_that_sticks(
    client: Client, tenant: Tenant, settings: Settings, engine: Engine
) -> None:
    credentials = await filled_account(client, tenant, "suspended")
    await scan_now(settings, engine, **small_limits(settings, "suspend"))
    account = await wait_account(client, tenant, "suspended", enabled=False)
    assert account["suspended_reason"] == "storage_limit"
    assert "over_limit" in account
    assert_valid_account(account)
    assert await asyncio.to_thread(refused, credentials)
    assert update_requests(engine, tenant, "SUSPENDED") == [
        {"patch": {"enabled": False}, "reason": "storage_limit"}
    ]
    await patch(client, tenant, "suspended", {"enabled": True})
    for _ in range(2):
        await scan_now(settings, engine, **small_limits(settings, "suspend"))
    # Edge-triggered: no suspension queued again while it stays over.
    assert update_requests(engine, tenant, "SUSPENDED")[1:] == [{"patch": {"enabled": True}}]
    account = await get_account(client, tenant, "suspended")
    assert account["enabled"] is True  # the re-enable sticks: still over, no new transition
    assert "suspended_reason" not in account
    assert "over_limit" in account
    assert not await asyncio.to_thread(refused, credentials)


async def test_raising_the_plan_above_the_usage_re_enables_a_suspended_account(
    client: Client, tenant: Tenant, settings: Settings, engine: Engine
) -> None:
    credentials = await filled_account(client, tenant, "upgraded")
    await scan_now(settings, engine, **small_limits(settings, "suspend"))
    await wait_account(client, tenant, "upgraded", enabled=False)
    result = await patch(client, tenant, "upgraded", {"edition": "ENTERPRISE"})
    assert result["status"] == "Request successfully completed"
    account = await get_account(client, tenant, "upgraded")
    assert (account["edition"], account["enabled"]) == ("ENTERPRISE", True)
    assert "suspended_reason" not in account
    assert not await asyncio.to_thread(refused, credentials)
    await scan_now(settings, engine, **small_limits(settings, "suspend"))
    account = await get_account(client, tenant, "upgraded")
    assert "over_limit" not in account
    assert account["limits"]["storage_bytes"] == int(settings.edition_storage_limits["ENTERPRISE"])


async def test_metrics_and_the_queues_view_show_the_clusters_totals(
    client: Client, tenant: Tenant, settings: Settings, engine: Engine
) -> None:
    await filled_account(client, tenant, "watched")
    totals = await scan_now(settings, engine, **small_limits(settings))
    samples = await scrape(client)
    cluster = {"cluster": DEFAULT_CLUSTER}
    assert value(samples, "provisioner_cluster_accounts", **cluster) == totals.accounts
    assert value(samples, "provisioner_cluster_storage_bytes", **cluster) == totals.storage_bytes
    assert value(samples, "provisioner_cluster_connections", **cluster) == totals.connections
    over = value(samples, "provisioner_accounts_over_limit", limit="storage", **cluster)
    assert over == totals.over_storage >= 1
    assert ("provisioner_accounts_near_limit", (("cluster", "default"), ("limit", "storage"))) in (
        samples
    )
    assert value(samples, "provisioner_accounts_over_limit_events_total", **cluster) >= 1
    response = await client.get("/api/v2/queues", headers=tenant.headers(Role.OPERATOR))
    report = await response.json()
    (shown,) = [row for row in report["clusters"] if row["name"] == DEFAULT_CLUSTER]
    assert (shown["accounts"], shown["storage_bytes"]) == (totals.accounts, totals.storage_bytes)
    assert shown["over_limit"]["storage"] == totals.over_storage
    (mine,) = report["limits_reached"]  # only the caller's organization's accounts
    assert mine["account"] == "WATCHED"
    assert "over the STANDARD plan's 16 MiB" in mine["over_limit"]
    assert "storage" in mine["near_limit"]


async def test_metrics_token_is_required_when_set(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    guarded = await aiohttp_client(
        create_app(settings.model_copy(update={"metrics_token": SecretStr("scrape-me")}))
    )
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = await guarded.get("/metrics", headers=headers)
        assert response.status == 401
        body = await response.json()
        assert body["code"] == "unauthenticated", body
    response = await guarded.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status == 200
    assert "provisioner_workers_online" in await response.text()
