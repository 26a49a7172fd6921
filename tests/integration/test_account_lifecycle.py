"""The whole lifecycle over HTTP: create, read, list, drop, undrop, purge by the beat scan."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.domain.lifecycle import OperationKind, OperationState
from service.store.models import Operation, Organization
from tests.conftest import PURGE_INTERVAL_SECONDS, SLOW_SECONDS, Tenant
from tests.integration.api import (
    Client,
    accept_create,
    accepted_location,
    account_body,
    create,
    drop,
    get_account,
    names,
    wait_result,
)
from tests.integration.rows import past_grace

ACCEPTED_MESSAGE_CODE = "392604"


async def test_create_is_accepted_then_completed_by_the_worker(
    client: Client, tenant: Tenant
) -> None:
    response = await client.post(
        "/api/v2/accounts", json=account_body("my_acct"), headers=tenant.headers()
    )
    location = await accepted_location(response)
    accepted = await response.json()
    assert accepted["code"] == ACCEPTED_MESSAGE_CODE
    assert location == f"/api/v2/results/{accepted['resultHandler']}"
    assert response.headers["Retry-After"] == "1"

    status, body = await wait_result(client, location, tenant.headers())
    assert (status, body["status"]) == (200, "Request successfully completed")
    credentials = body["credentials"]
    assert credentials["password"] is None  # the caller chose it; it is never echoed

    account = await get_account(client, tenant, "MY_ACCT")
    assert account["name"] == "MY_ACCT"
    assert account["state"] == "ACTIVE"
    assert account["organization_name"] == tenant.name
    assert account["edition"] == "ENTERPRISE"
    assert len(account["account_locator"]) == 8
    assert account["account_url"] == credentials["url"]
    assert account["account_url"].startswith("postgresql://acct_")
    datetime.fromisoformat(account["created_on"])  # RFC 3339 with an offset
    assert "+00:00" in account["created_on"]


async def test_account_view_has_nullable_fields_as_null_and_no_secrets(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "viewed", comment="hello")
    account = await get_account(client, tenant, "viewed")
    for nullable in ("dropped_on", "scheduled_deletion_time", "restored_on", "moved_on"):
        assert account[nullable] is None
    assert account["organization_URL_expiration_on"] is None
    assert account["comment"] == "hello"
    assert None not in [  # a list: `limits` (and `usage` once measured) are objects
        value
        for key, value in account.items()
        if key
        not in {
            "dropped_on",
            "scheduled_deletion_time",
            "restored_on",
            "moved_on",
            "organization_URL_expiration_on",
        }
    ]
    for secret in ("admin_password", "admin_name", "email", "first_name", "must_change_password"):
        assert secret not in account


async def test_the_stored_request_never_contains_the_password(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    location = await create(client, tenant, "secretive")
    handle = location.rsplit("/", 1)[1]
    with Session(engine) as session:
        operation = session.get(Operation, handle)
        assert operation is not None
        assert "admin_password" not in operation.request
        assert "Sup3r-secret-pw!" not in str(operation.request)
        assert operation.request["email"] == "admin@example.com"


async def test_drop_schedules_deletion_after_the_grace_period(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "to_drop")
    await drop(client, tenant, "to_drop", grace_days=5)
    account = await get_account(client, tenant, "to_drop")
    assert account["state"] == "DROPPED"
    dropped_on = datetime.fromisoformat(account["dropped_on"])
    scheduled = datetime.fromisoformat(account["scheduled_deletion_time"])
    assert scheduled - dropped_on == timedelta(days=5)
    assert "TO_DROP" not in await names(client, tenant)
    assert "TO_DROP" in await names(client, tenant, "?history=true")


async def test_undrop_restores_a_dropped_account(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "phoenix")
    await drop(client, tenant, "phoenix")
    response = await client.post("/api/v2/accounts/phoenix:undrop", headers=tenant.headers())
    status, body = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 200, body
    account = await get_account(client, tenant, "PHOENIX")
    assert account["state"] == "ACTIVE"
    assert account["dropped_on"] is None
    assert account["scheduled_deletion_time"] is None
    assert account["restored_on"] is not None
    assert "PHOENIX" in await names(client, tenant)


async def test_beat_purges_an_account_whose_grace_period_ended(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    await past_grace(client, tenant, engine, "doomed")
    await _wait_until_gone(client, tenant, "DOOMED")
    assert "DOOMED" not in await names(client, tenant, "?history=true")
    with Session(engine) as session:
        purge = session.scalars(
            select(Operation).where(
                Operation.kind == OperationKind.PURGE,
                Operation.organization_id == _org_id(session, tenant),
            )
        ).one()
        assert purge.state == OperationState.SUCCEEDED
        assert purge.request_id is not None
        assert purge.request_id.startswith("purge-scan-")
    # The name is free again.
    await create(client, tenant, "doomed")


async def test_an_account_inside_its_grace_period_is_not_purged(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "survivor")
    await drop(client, tenant, "survivor")
    await _sleep_scans(3)
    assert (await get_account(client, tenant, "survivor"))["state"] == "DROPPED"


async def test_a_create_that_fails_for_good_frees_the_name(client: Client, tenant: Tenant) -> None:
    status, body = await wait_result(
        client, await accept_create(client, tenant, "fail_once"), tenant.headers()
    )
    assert status == 500
    assert body["code"] == body["error_code"] == "internal"
    assert "FAIL_ONCE" in body["message"]
    missing = await client.get("/api/v2/accounts/fail_once", headers=tenant.headers())
    assert missing.status == 404
    assert "FAIL_ONCE" not in await names(client, tenant, "?history=true")
    await accept_create(client, tenant, "fail_once")  # asserts the 202


async def test_a_failed_drop_leaves_the_account_active(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "faildrop_x")
    response = await client.delete(
        "/api/v2/accounts/faildrop_x?gracePeriodInDays=3", headers=tenant.headers()
    )
    status, body = await wait_result(client, await accepted_location(response), tenant.headers())
    assert status == 500, body
    assert (await get_account(client, tenant, "faildrop_x"))["state"] == "ACTIVE"


async def test_a_second_mutation_while_one_is_in_flight_is_409_naming_it(
    client: Client, tenant: Tenant
) -> None:
    location = await accept_create(client, tenant, "slow_one")
    handle = location.rsplit("/", 1)[1]
    conflict = await client.delete(
        "/api/v2/accounts/slow_one?gracePeriodInDays=3", headers=tenant.headers()
    )
    assert conflict.status == 409
    body = await conflict.json()
    assert body["code"] == "conflict"
    assert handle in body["message"]
    creating = await get_account(client, tenant, "slow_one")
    assert creating["state"] == "CREATING"
    assert SLOW_SECONDS > 1  # the window above relies on the slow create
    status, _ = await wait_result(client, location, tenant.headers())
    assert status == 200


def _org_id(session: Session, tenant: Tenant) -> int:
    org_id = session.scalar(select(Organization.id).where(Organization.name == tenant.name))
    assert org_id is not None
    return org_id


async def _sleep_scans(count: int) -> None:
    await asyncio.sleep(PURGE_INTERVAL_SECONDS * count)


async def _wait_until_gone(client: Client, tenant: Tenant, name: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = await client.get(f"/api/v2/accounts/{name}", headers=tenant.headers())
        if response.status == 404:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{name} was not purged within 20 s")
