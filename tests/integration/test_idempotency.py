"""Idempotency-Key: the same key and request within 24 h is answered once, even when racing."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, select

from service.store.models import Account, Operation
from tests.conftest import Tenant
from tests.integration.api import Client, accepted_location, account_body, create, wait_result
from tests.integration.rows import row_count


def operations_for(engine: Engine, name: str) -> int:
    return row_count(
        engine,
        select(Operation.id)
        .join(Account, Account.id == Operation.account_id)
        .where(Account.name == name),
    )


async def test_a_repeated_request_gets_the_first_answer_and_does_nothing_again(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "create-once-1"}
    first = await client.post("/api/v2/accounts", json=account_body("keyed"), headers=headers)
    second = await client.post("/api/v2/accounts", json=account_body("keyed"), headers=headers)
    location = await accepted_location(first)
    assert await accepted_location(second) == location
    assert await second.json() == await first.json()
    status, _ = await wait_result(client, location, tenant.headers())
    assert status == 200
    third = await client.post("/api/v2/accounts", json=account_body("keyed"), headers=headers)
    assert await accepted_location(third) == location  # still the same answer once done
    assert operations_for(engine, "KEYED") == 1


async def test_the_same_key_with_a_different_request_is_409(client: Client, tenant: Tenant) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "reused-key"}
    await accepted_location(
        await client.post("/api/v2/accounts", json=account_body("first_k"), headers=headers)
    )
    response = await client.post("/api/v2/accounts", json=account_body("second_k"), headers=headers)
    assert response.status == 409
    body = await response.json()
    assert body["code"] == "conflict"
    assert "reused-key" in body["message"]
    assert "different request" in body["message"]


async def test_fifty_concurrent_requests_with_one_key_make_one_operation(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "stampede"}
    responses = await asyncio.gather(
        *(
            client.post("/api/v2/accounts", json=account_body("stampede"), headers=headers)
            for _ in range(50)
        )
    )
    locations = {await accepted_location(response) for response in responses}
    assert len(locations) == 1
    assert operations_for(engine, "STAMPEDE") == 1


async def test_keys_are_scoped_to_the_organization(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await client.post(
        "/api/v2/accounts",
        json=account_body("scoped"),
        headers={**tenant.headers(), "Idempotency-Key": "shared-key"},
    )
    theirs = await client.post(
        "/api/v2/accounts",
        json=account_body("scoped"),
        headers={**other_tenant.headers(), "Idempotency-Key": "shared-key"},
    )
    assert await accepted_location(mine) != await accepted_location(theirs)


async def test_a_drop_replay_and_a_200_answer_are_replayed_too(
    client: Client, tenant: Tenant, engine: Engine
) -> None:
    await create(client, tenant, "drop_keyed")
    headers = {**tenant.headers(), "Idempotency-Key": "drop-1"}
    path = "/api/v2/accounts/drop_keyed?gracePeriodInDays=3"
    first = await accepted_location(await client.delete(path, headers=headers))
    assert await accepted_location(await client.delete(path, headers=headers)) == first
    assert operations_for(engine, "DROP_KEYED") == 2  # the create and one drop
    missing = "/api/v2/accounts/never_was?gracePeriodInDays=3&ifExists=true"
    quiet = {**tenant.headers(), "Idempotency-Key": "drop-2"}
    answers = [await client.delete(missing, headers=quiet) for _ in range(2)]
    assert [a.status for a in answers] == [200, 200]
    assert await answers[0].json() == await answers[1].json()


async def test_a_rejected_request_does_not_use_up_its_key(client: Client, tenant: Tenant) -> None:
    await create(client, tenant, "taken_name")
    headers = {**tenant.headers(), "Idempotency-Key": "after-a-409"}
    refused = await client.post(
        "/api/v2/accounts", json=account_body("taken_name"), headers=headers
    )
    assert refused.status == 409
    # Nothing was remembered: the same key now serves the corrected request.
    fixed = await client.post("/api/v2/accounts", json=account_body("free_name"), headers=headers)
    assert fixed.status == 202


async def test_a_malformed_key_is_a_400(client: Client, tenant: Tenant) -> None:
    for key in ("x" * 256, "tab\there"):
        response = await client.post(
            "/api/v2/accounts",
            json=account_body("bad_key"),
            headers={**tenant.headers(), "Idempotency-Key": key},
        )
        assert response.status == 400
        assert "Idempotency-Key" in (await response.json())["message"]
