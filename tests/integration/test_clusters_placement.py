"""Placement at accept: a create goes to the open cluster of its region with the most room, and
concurrent creates never overfill a cluster; a full region is a 409, an unknown one a 400."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from service.domain.lifecycle import AccountState
from service.settings import Settings
from service.store.models import Account
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, account_body
from tests.integration.fleet import Fleet, fleet

__all__ = ["fleet"]


async def paused_api(aiohttp_client: ClientFactory, settings: Settings) -> Client:
    """The API with a queue no worker reads: the creates stay queued, placed but not run."""
    queue = f"paused-{uuid.uuid4().hex[:8]}"
    # Every test organization's admins may manage the fleet here (FLEET_ORGANIZATIONS=[]).
    changes = {"queue_name": queue, "fleet_organizations": ()}
    return await aiohttp_client(create_app(settings.model_copy(update=changes)))


async def test_200_concurrent_creates_never_overfill_a_cluster(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, fleet: Fleet
) -> None:
    api = await paused_api(aiohttp_client, settings)
    region = fleet.region()
    clusters = [fleet.add(region, capacity=50) for _ in range(3)]
    names = [f"PLACED_{number}" for number in range(200)]

    responses = await asyncio.gather(
        *(
            api.post(
                "/api/v2/accounts",
                json=account_body(name, region=region.lower()),
                headers=tenant.headers(),
            )
            for name in names
        )
    )

    statuses = Counter(response.status for response in responses)
    assert statuses == {202: 150, 409: 50}, statuses
    for response in responses:
        if response.status == 409:
            body = await response.json()
            assert body["code"] == "conflict"
            assert region in body["message"]
    per_cluster = {name: len(fleet.accounts_on(name)) for name in clusters}
    assert per_cluster == dict.fromkeys(clusters, 50)
    assert [fleet.cluster(name).placed_accounts for name in clusters] == [50, 50, 50]


async def test_a_create_goes_to_the_cluster_with_the_most_room(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, fleet: Fleet
) -> None:
    api = await paused_api(aiohttp_client, settings)
    region = fleet.region()
    small = fleet.add(region, capacity=2)
    large = fleet.add(region, capacity=5)
    fleet.add(region, capacity=100, state="draining")  # takes nothing new

    for number in range(3):
        response = await api.post(
            "/api/v2/accounts",
            json=account_body(f"ROOMY_{number}", region=region),
            headers=tenant.headers(),
        )
        assert response.status == 202, await response.text()

    # 5, 4 and 3 free beat 2: the large one takes all three (then both have 2 left).
    assert len(fleet.accounts_on(large)) == 3
    assert fleet.accounts_on(small) == []


async def test_an_unknown_region_is_a_400_naming_the_regions_that_exist(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, fleet: Fleet
) -> None:
    api = await paused_api(aiohttp_client, settings)
    region = fleet.region()
    fleet.add(region, capacity=1)

    response = await api.post(
        "/api/v2/accounts", json=account_body("NOWHERE", region="MARS_1"), headers=tenant.headers()
    )

    assert response.status == 400
    body = await response.json()
    assert body["code"] == "invalid_argument"
    assert "MARS_1" in body["message"]
    assert region in body["message"]


async def test_a_region_without_an_open_cluster_is_a_409_naming_it(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, fleet: Fleet
) -> None:
    api = await paused_api(aiohttp_client, settings)
    region = fleet.region()
    fleet.add(region, capacity=10, state="draining")
    key = {"Idempotency-Key": uuid.uuid4().hex}

    response = await api.post(
        "/api/v2/accounts",
        json=account_body("DRAINED", region=region),
        headers={**tenant.headers(), **key},
    )

    assert response.status == 409
    assert region in (await response.json())["message"]


async def test_a_failed_or_purged_account_frees_its_slot(
    aiohttp_client: ClientFactory, settings: Settings, tenant: Tenant, fleet: Fleet, engine: Engine
) -> None:
    api = await paused_api(aiohttp_client, settings)
    region = fleet.region()
    cluster = fleet.add(region, capacity=2)
    for name in ("FREED_A", "FREED_B"):
        response = await api.post(
            "/api/v2/accounts", json=account_body(name, region=region), headers=tenant.headers()
        )
        assert response.status == 202
    full = await api.post(
        "/api/v2/accounts", json=account_body("FREED_C", region=region), headers=tenant.headers()
    )
    assert full.status == 409
    assert fleet.cluster(cluster).placed_accounts == 2

    for name, state in (("FREED_A", AccountState.FAILED), ("FREED_B", AccountState.PURGED)):
        with Session(engine) as session, session.begin():
            session.execute(
                update(Account)
                .where(Account.cluster == cluster, Account.name == name)
                .values(state=state)
            )
    assert fleet.cluster(cluster).placed_accounts == 0

    again = await api.post(
        "/api/v2/accounts", json=account_body("FREED_C", region=region), headers=tenant.headers()
    )
    assert again.status == 202
    assert fleet.cluster(cluster).placed_accounts == 1
