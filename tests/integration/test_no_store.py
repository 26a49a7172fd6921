"""No answer of the API may be kept by a cache: the one that hands over a generated password
least of all. Every JSON answer carries `Cache-Control: no-store`."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import Tenant
from tests.integration.api import Client, accepted_location, account_body

NO_STORE = "no-store"


async def test_the_answer_that_hands_over_a_password_and_every_other_says_no_store(
    client: Client, tenant: Tenant
) -> None:
    body = account_body("no_store")
    del body["admin_password"]  # generated: the result hands it over, once
    response = await client.post("/api/v2/accounts", json=body, headers=tenant.headers())
    assert response.headers["Cache-Control"] == NO_STORE
    location = await accepted_location(response)
    deadline = time.monotonic() + 20
    while True:
        response = await client.get(location, headers=tenant.headers())
        assert response.headers["Cache-Control"] == NO_STORE
        if response.status != 202:
            break
        assert time.monotonic() < deadline, "the create never finished"
        await asyncio.sleep(0.05)
    handed = await response.json()
    assert isinstance(handed["credentials"]["password"], str)

    for path in (
        "/api/v2/accounts/no_store",
        "/api/v2/accounts",
        "/api/v2/operations",
        "/api/v2/accounts/missing_one",  # an error answer too
    ):
        response = await client.get(path, headers=tenant.headers())
        assert response.headers["Cache-Control"] == NO_STORE, path
    response = await client.get("/api/v2/accounts")  # no token: 401
    assert (response.status, response.headers["Cache-Control"]) == (401, NO_STORE)
