"""Polls in flight are read together, and each still sees only its own organization's result."""

from __future__ import annotations

import asyncio
import uuid

from tests.conftest import Tenant
from tests.integration.api import Client, create


async def test_polls_read_together_each_get_their_own_answer(
    client: Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    done = await create(client, tenant, "PEEKED")
    theirs = await create(client, other_tenant, "THEIRS")
    asks = [
        (done, tenant),  # 200: finished, mine
        (theirs, tenant),  # 404: another organization's
        (theirs, other_tenant),  # 200: theirs, asked by them
        (f"/api/v2/results/{uuid.uuid4()}", tenant),  # 404: no such operation
        ("/api/v2/results/not-a-handle", tenant),  # 404: not even a handle
    ] * 5
    alone = {}  # each result read on its own first: what the batched reads must match
    for location, who in asks[:3]:
        response = await client.get(location, headers=who.headers())
        alone[location, who.name] = (response.status, await response.json())
    responses = await asyncio.gather(
        *(client.get(location, headers=who.headers()) for location, who in asks)
    )
    assert [response.status for response in responses] == [200, 404, 200, 404, 404] * 5
    for response, (location, who) in zip(responses, asks, strict=True):
        body = await response.json()
        if response.status == 200:
            assert (200, body) == alone[location, who.name]
        else:
            assert body["code"] == "not_found"
