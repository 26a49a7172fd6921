"""Moving an account to another cluster of its region, as an operation: the data and the
password go with it and its URL carries the new address; a move that cannot be placed is
refused at accept; a failed move leaves the account where it was, usable; a queued one cancels."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from service.adapters.embedded import TENANT, EmbeddedServers
from service.domain.roles import Role
from service.settings import Settings
from service.store.moves import note_done
from service.web.app import create_app
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, accepted_location, wait_result
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.tenant import login
from tests.integration.test_account_move import embedded_cluster
from tests.integration.test_cli import Cli
from tests.integration.test_clusters_placement import paused_api
from tests.integration.test_clusters_routing import PASSWORD, databases_on
from tests.integration.test_tenant_accounts import created_credentials
from workers.drivers.moving import AccountMover, MoveSpec, MoveStep, run_move
from workers.execute import Outcome, execute_operation
from workers.resources import WorkerResources

__all__ = ["fleet", "second_cluster", "second_servers"]


@pytest.fixture
async def mover(aiohttp_client: ClientFactory, settings: Settings, client: Client) -> Client:
    """The API (with the session's worker) where every test organization manages the fleet."""
    changes = {"fleet_organizations": ()}
    return await aiohttp_client(create_app(settings.model_copy(update=changes)))


def real_cluster(fleet: Fleet, region: str, url: str, *, capacity: int = 5) -> str:
    address = make_url(url)
    return fleet.add(
        region, capacity=capacity, url=url, host=address.host or "", port=address.port or 0
    )


@dataclass(frozen=True)
class Pair:
    region: str
    source: str  # where creates in the region go (more room)
    target: str
    source_url: str


@pytest.fixture(scope="module")
def source_cluster() -> Iterator[str]:
    """A cluster of the embedded binaries, as the second is: not the session's, which may be
    another major version or build (see test_account_move.py: such a restore fails)."""
    with embedded_cluster() as url:
        yield url


@pytest.fixture
def pair(fleet: Fleet, source_cluster: str, second_cluster: str) -> Pair:
    """Two real clusters of a new region; creates there go to `source` (more room)."""
    region = fleet.region()
    source = real_cluster(fleet, region, source_cluster, capacity=5)
    target = real_cluster(fleet, region, second_cluster, capacity=2)
    return Pair(region, source, target, source_cluster)


async def move(api: Client, tenant: Tenant, account: str, cluster: str, **headers: str) -> Any:
    return await api.post(
        f"/api/v2/accounts/{account}:move",
        json={"cluster": cluster},
        headers={**tenant.headers(), **headers},
    )


async def account_with_rows(
    client: Client, tenant: Tenant, name: str, region: str
) -> dict[str, Any]:
    credentials = await created_credentials(client, tenant, name, region=region)
    with login(credentials, PASSWORD) as session:
        session.execute("CREATE TABLE kept (n int PRIMARY KEY, note text)")
        session.execute("INSERT INTO kept SELECT n, 'row ' || n FROM generate_series(1, 500) n")
    return credentials


def rows_at(url: str) -> list[Any]:
    with login({"url": url}, PASSWORD) as session:
        return session.execute("SELECT count(*), max(note) FROM kept").fetchall()


async def test_a_move_keeps_the_data_and_the_password_and_the_url_follows(
    client: Client, mover: Client, tenant: Tenant, fleet: Fleet, pair: Pair, second_cluster: str
) -> None:
    region, source, target, tenant_url = pair.region, pair.source, pair.target, pair.source_url
    credentials = await account_with_rows(client, tenant, "MOVED_ONE", region)
    assert fleet.accounts_on(source) == ["MOVED_ONE"]

    response = await move(mover, tenant, "moved_one", target)
    status, body = await wait_result(mover, await accepted_location(response), tenant.headers())

    assert status == 200, body
    view = await (await client.get("/api/v2/accounts/MOVED_ONE", headers=tenant.headers())).json()
    assert view["cluster"] == target
    assert view["state"] == "ACTIVE"
    new_port = make_url(second_cluster).port
    assert f":{new_port}/" in view["account_url"]
    assert view["account_url"] != credentials["url"]
    assert rows_at(view["account_url"]) == [(500, "row 99")]  # the same password
    assert credentials["database"] not in databases_on(tenant_url)
    assert fleet.accounts_on(target) == ["MOVED_ONE"]
    assert (fleet.cluster(source).placed_accounts, fleet.cluster(target).placed_accounts) == (0, 1)


async def test_a_move_that_cannot_be_placed_is_refused_at_accept(
    client: Client, mover: Client, tenant: Tenant, fleet: Fleet, second_cluster: str
) -> None:
    region = fleet.region()
    source = real_cluster(fleet, region, second_cluster)
    await created_credentials(client, tenant, "STAYS_PUT", region=region)
    elsewhere = fleet.add(fleet.region(), capacity=5)
    draining = fleet.add(region, capacity=5, state="draining")
    full = fleet.add(region, capacity=0)

    refusals = {
        elsewhere: (400, "region"),
        draining: (409, "draining"),
        full: (409, "no room"),
        source: (409, "already on"),
        "no-such-cluster": (400, "not a tenant cluster"),
    }
    for cluster, (status, words) in refusals.items():
        response = await move(mover, tenant, "STAYS_PUT", cluster)
        body = await response.json()
        assert (response.status, words in body["message"]) == (status, True), body
        assert cluster in body["message"]
    not_fleet = await move(client, tenant, "STAYS_PUT", draining)  # FLEET_ORGANIZATIONS
    assert not_fleet.status == 403
    assert fleet.accounts_on(source) == ["STAYS_PUT"]
    assert [fleet.cluster(name).placed_accounts for name in (draining, full)] == [0, 0]


async def test_a_move_failing_after_the_freeze_leaves_the_account_on_its_cluster_usable(
    client: Client, mover: Client, tenant: Tenant, fleet: Fleet, pair: Pair, second_cluster: str
) -> None:
    region, source, target, tenant_url = pair.region, pair.source, pair.target, pair.source_url
    credentials = await account_with_rows(client, tenant, "NOT_MOVED", region)
    # A grant to a role only the source has: pg_restore fails after the data, the login frozen.
    grantee = f"grantee_{credentials['database']}"[:63]
    with psycopg.connect(tenant_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(grantee)))
    try:
        with login(credentials, PASSWORD) as session:
            session.execute(sql.SQL("GRANT SELECT ON kept TO {}").format(sql.Identifier(grantee)))

        response = await move(mover, tenant, "NOT_MOVED", target)
        location = await accepted_location(response)
        status, body = await wait_result(mover, location, tenant.headers())

        assert status == 500
        assert "pg_restore failed" in body["message"]
        view = await client.get("/api/v2/accounts/NOT_MOVED", headers=tenant.headers())
        found = await view.json()
        assert (found["cluster"], found["state"]) == (source, "ACTIVE")
        assert rows_at(credentials["url"]) == [(500, "row 99")]  # logs in again
        assert credentials["database"] not in databases_on(second_cluster)
        assert (fleet.cluster(source).placed_accounts, fleet.cluster(target).placed_accounts) == (
            1,
            0,
        )
    finally:
        with psycopg.connect(tenant_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(credentials["database"])
                )
            )
            for role in (grantee, credentials["user"]):
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


async def test_a_queued_move_is_canceled_and_frees_the_targets_slot(
    aiohttp_client: ClientFactory,
    client: Client,
    tenant: Tenant,
    fleet: Fleet,
    settings: Settings,
    second_cluster: str,
) -> None:
    region = fleet.region()
    source = real_cluster(fleet, region, second_cluster)
    target = fleet.add(region, capacity=1)
    await created_credentials(client, tenant, "MOVE_CANCELED", region=region)
    paused = await paused_api(aiohttp_client, settings)

    first = await move(paused, tenant, "MOVE_CANCELED", target, **{"Idempotency-Key": "mv-1"})
    again = await move(paused, tenant, "MOVE_CANCELED", target, **{"Idempotency-Key": "mv-1"})
    location = await accepted_location(first)
    assert await accepted_location(again) == location
    assert fleet.cluster(target).placed_accounts == 1  # held for the move: placement sees it
    handle = location.rsplit("/", 1)[1]
    canceled = await paused.post(f"/api/v2/operations/{handle}:cancel", headers=tenant.headers())

    assert canceled.status == 200, await canceled.json()
    status, _ = await wait_result(paused, location, tenant.headers())
    assert status == 409
    assert fleet.cluster(target).placed_accounts == 0
    view = await client.get("/api/v2/accounts/MOVE_CANCELED", headers=tenant.headers())
    assert (await view.json())["cluster"] == source


async def test_a_move_resumes_after_the_last_step_a_lost_worker_recorded(
    aiohttp_client: ClientFactory,
    client: Client,
    tenant: Tenant,
    pair: Pair,
    settings: Settings,
    second_cluster: str,
) -> None:
    credentials = await account_with_rows(client, tenant, "RESUMED", pair.region)
    # A worker ran every step, recorded the last, and was lost before it recorded the outcome.
    run_move(
        AccountMover(pair.source_url, second_cluster),
        MoveSpec(credentials["database"], credentials["user"]),
    )
    location, outcome = await run_queued_move(
        aiohttp_client, settings, tenant, "RESUMED", pair.target, MoveStep.RETIRE
    )

    # Started over at `prepare`, it would fail: the source holds the account no more.
    assert outcome is Outcome.SUCCEEDED
    status, _ = await wait_result(client, location, tenant.headers())
    assert status == 200
    view = await (await client.get("/api/v2/accounts/RESUMED", headers=tenant.headers())).json()
    assert view["cluster"] == pair.target
    assert rows_at(view["account_url"]) == [(500, "row 99")]


async def run_queued_move(
    aiohttp_client: ClientFactory,
    settings: Settings,
    tenant: Tenant,
    account: str,
    target: str,
    done: MoveStep,
) -> tuple[str, Outcome]:
    """Accept a move (on a queue no worker reads), record `done` as its last finished step, and
    run it at once in this process as a worker would: (its result location, the outcome)."""
    paused = await paused_api(aiohttp_client, settings)
    location = await accepted_location(await move(paused, tenant, account, target))
    return location, run_as_worker(settings, location, done)


def run_as_worker(settings: Settings, location: str, done: MoveStep | None = None) -> Outcome:
    """One delivery of the operation, in this process (after recording `done`, if given)."""
    operation_id = uuid.UUID(location.rsplit("/", 1)[1])
    resources = WorkerResources(settings)
    try:
        if done is not None:
            with resources.sessions.begin() as session:
                note_done(session, operation_id, done.value)
        return execute_operation(
            resources.sessions, resources.driver, operation_id, max_attempts=3, seal=resources.seal
        )
    finally:
        resources.close()


async def frozen_mid_move(
    client: Client, tenant: Tenant, pair: Pair, target_url: str, name: str
) -> dict[str, Any]:
    """An account with rows, prepared on the target and frozen on the source, as a worker
    leaves it that is lost after `freeze`: its credentials."""
    credentials = await account_with_rows(client, tenant, name, pair.region)
    mover = AccountMover(pair.source_url, target_url)
    spec = MoveSpec(credentials["database"], credentials["user"])
    mover.prepare(spec)
    mover.freeze(spec)
    return credentials


async def test_a_target_down_after_the_freeze_lets_the_login_in_on_the_source_until_it_is_back(
    aiohttp_client: ClientFactory,
    client: Client,
    tenant: Tenant,
    pair: Pair,
    settings: Settings,
    second_servers: EmbeddedServers,
) -> None:
    credentials = await frozen_mid_move(client, tenant, pair, second_servers.tenant_url, "THAWED")
    # then the worker was lost, and the target went down
    second_servers.stop_server(TENANT)
    try:
        location, outcome = await run_queued_move(
            aiohttp_client, settings, tenant, "THAWED", pair.target, MoveStep.FREEZE
        )
        assert outcome is Outcome.RETRY
        assert rows_at(credentials["url"]) == [(500, "row 99")]  # usable on the source
    finally:
        second_servers.start(TENANT)
    again = run_as_worker(settings, location)  # the next delivery, the target back
    assert again is Outcome.SUCCEEDED
    view = await (await client.get("/api/v2/accounts/THAWED", headers=tenant.headers())).json()
    assert view["cluster"] == pair.target
    assert rows_at(view["account_url"]) == [(500, "row 99")]


async def test_the_cli_moves_an_account_and_waits_for_the_outcome(
    client: Client, mover: Client, tenant: Tenant, pair: Pair
) -> None:
    await account_with_rows(client, tenant, "CLI_MOVED", pair.region)

    moved = await Cli(mover, tenant.tokens[Role.ADMIN])(
        "clusters", "move", "cli_moved", "--to", pair.target, "--wait"
    )

    assert moved.exit_code == 0, moved.output
    assert "move of CLI_MOVED" in moved.stdout
    view = await (await client.get("/api/v2/accounts/CLI_MOVED", headers=tenant.headers())).json()
    assert view["cluster"] == pair.target
