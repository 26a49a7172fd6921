"""Every /api/v2/accounts/{name} route also takes `id:<uuid>` and `externalId:<value>`."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Tenant
from tests.integration.api import (
    Client,
    accepted_location,
    create,
    get_account,
    wait_result,
)


async def finish(client: Client, tenant: Tenant, response: Any) -> tuple[int, dict[str, Any]]:
    return await wait_result(client, await accepted_location(response), tenant.headers())


async def test_an_account_is_read_by_name_by_id_and_by_external_id(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "by_ref", external_id="crm/7 x")
    by_name = await get_account(client, tenant, "by_ref")
    account_id = by_name["id"]
    assert uuid.UUID(account_id).version == 4
    assert await get_account(client, tenant, f"id:{account_id}") == by_name
    assert await get_account(client, tenant, f"id:{account_id.upper()}") == by_name
    assert await get_account(client, tenant, "externalId:crm%2F7%20x") == by_name
    assert await get_account(client, tenant, "externalID:crm%2F7%20x") == by_name
    listed = await client.get("/api/v2/accounts", headers=tenant.headers())
    assert [row["id"] for row in await listed.json()] == [account_id]


async def test_every_mutation_route_takes_an_id_or_an_external_id(
    client: Client, tenant: Tenant
) -> None:
    await create(client, tenant, "mutated", external_id="ext-9")
    account_id = (await get_account(client, tenant, "mutated"))["id"]
    by_id, by_ext = f"/api/v2/accounts/id:{account_id}", "/api/v2/accounts/externalId:ext-9"
    headers = tenant.headers()

    patched = await client.patch(by_id, json={"name": "renamed"}, headers=headers)
    assert (await finish(client, tenant, patched))[0] == 200
    renamed = await get_account(client, tenant, f"id:{account_id}")
    assert (renamed["name"], renamed["id"]) == ("RENAMED", account_id)

    rotated = await client.post(f"{by_ext}:rotateCredentials", headers=headers)
    status, body = await finish(client, tenant, rotated)
    assert status == 200
    assert body["credentials"]["password"]

    dropped = await client.delete(f"{by_ext}?gracePeriodInDays=3", headers=headers)
    assert (await finish(client, tenant, dropped))[0] == 200
    assert (await get_account(client, tenant, f"id:{account_id}"))["state"] == "DROPPED"

    undropped = await client.post(f"{by_id}:undrop", headers=headers)
    assert (await finish(client, tenant, undropped))[0] == 200
    assert (await get_account(client, tenant, "externalId:ext-9"))["state"] == "ACTIVE"


async def test_an_unknown_account_is_the_same_404_whichever_form_names_it(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    await create(client, other_tenant, "theirs", external_id="theirs-1")
    theirs = (await get_account(client, other_tenant, "theirs"))["id"]
    headers = tenant.headers()
    for ref in ("nobody", f"id:{uuid.uuid4()}", "externalId:nobody", f"id:{theirs}"):
        for method, path in (
            ("GET", f"/api/v2/accounts/{ref}"),
            ("PATCH", f"/api/v2/accounts/{ref}"),
            ("DELETE", f"/api/v2/accounts/{ref}?gracePeriodInDays=3"),
            ("POST", f"/api/v2/accounts/{ref}:undrop"),
            ("POST", f"/api/v2/accounts/{ref}:rotateCredentials"),
            ("POST", f"/api/v2/accounts/{ref}:purge"),
            ("GET", f"/api/v2/accounts/{ref}/plan"),
        ):
            body = {"comment": "x"} if method == "PATCH" else None
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status == 404, (method, path)
            error = await response.json()
            assert error["code"] == "not_found"
            assert error["message"] == f"account {_shown(ref)} does not exist"
    gone = await client.delete(
        "/api/v2/accounts/externalId:nobody?gracePeriodInDays=3&ifExists=true", headers=headers
    )
    assert gone.status == 200


def _shown(ref: str) -> str:
    if ref.startswith("externalId:"):
        return f"externalId:{ref.removeprefix('externalId:')!r}"
    return ref if ref.startswith("id:") else ref.upper()


async def test_a_malformed_reference_is_a_400_naming_it(client: Client, tenant: Tenant) -> None:
    headers = tenant.headers()
    for ref, says in (
        ("id:not-a-uuid", "id: must be followed by an account id"),
        ("name:X", "names cannot contain ':'"),
        ("externalId:", "externalId: must be followed by an external id"),
        ("9lives", "is not a valid account name"),
    ):
        response = await client.get(f"/api/v2/accounts/{ref}", headers=headers)
        assert response.status == 400, ref
        error = await response.json()
        assert error["code"] == "invalid_argument"
        assert says in error["message"]
        dropped = await client.delete(
            f"/api/v2/accounts/{ref}?gracePeriodInDays=3", headers=headers
        )
        assert dropped.status == 400, ref
