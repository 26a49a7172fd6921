"""A move's cut-over: the control database names the target together with `open`; a move that
cut over only finishes forward (`retire` failing is retried, then given up with a warning); a
move given up before it (`open` failing) is rolled back so the source serves the account."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from psycopg import sql

from service.adapters.embedded import EmbeddedServers
from service.settings import Settings
from tests.conftest import ClientFactory, Tenant
from tests.integration.api import Client, accepted_location, wait_result
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.test_account_moves import (
    Pair,
    account_with_rows,
    frozen_mid_move,
    move,
    pair,
    rows_at,
    run_as_worker,
    run_queued_move,
    source_cluster,
)
from tests.integration.test_clusters_placement import paused_api
from workers.drivers.moving import MoveSpec, MoveStep
from workers.execute import Outcome

__all__ = ["fleet", "pair", "second_cluster", "second_servers", "source_cluster"]


@pytest.fixture
def placed(fleet: Fleet, pair: Pair) -> Callable[[], tuple[int, int]]:
    """The accounts the source and the target count, when called."""
    return lambda: (
        fleet.cluster(pair.source).placed_accounts,
        fleet.cluster(pair.target).placed_accounts,
    )


async def test_a_move_whose_retire_keeps_failing_finishes_on_the_target_with_a_warning(
    aiohttp_client: ClientFactory,
    client: Client,
    tenant: Tenant,
    pair: Pair,
    settings: Settings,
    placed: Callable[[], tuple[int, int]],
) -> None:
    credentials = await account_with_rows(client, tenant, "RETIRE_FAILS", pair.region)
    # A privilege on another database of the source: its DROP ROLE (in `retire`) is refused.
    grant = sql.SQL("GRANT CONNECT ON DATABASE postgres TO {}")
    with psycopg.connect(pair.source_url, autocommit=True) as admin:
        admin.execute(grant.format(sql.Identifier(credentials["user"])))
    try:
        paused = await paused_api(aiohttp_client, settings)
        location = await accepted_location(await move(paused, tenant, "RETIRE_FAILS", pair.target))

        assert run_as_worker(settings, location) is Outcome.RETRY  # retire failed, after open
        view = await (
            await client.get("/api/v2/accounts/RETIRE_FAILS", headers=tenant.headers())
        ).json()
        assert view["cluster"] == pair.target  # the control database switched with `open`
        assert rows_at(view["account_url"]) == [(500, "row 99")]  # usable on the target
        assert placed() == (0, 1)

        outcomes = [run_as_worker(settings, location) for _ in range(2)]
        assert outcomes == [Outcome.RETRY, Outcome.SUCCEEDED]  # given up: succeeds, never fails
        status, body = await wait_result(client, location, tenant.headers())
        assert status == 200, body
        assert pair.source in body["warnings"][0]
        assert "left on cluster" in body["warnings"][0]
        view = await (
            await client.get("/api/v2/accounts/RETIRE_FAILS", headers=tenant.headers())
        ).json()
        assert (view["cluster"], view["state"]) == (pair.target, "ACTIVE")
        assert rows_at(view["account_url"]) == [(500, "row 99")]
        assert placed() == (0, 1)
    finally:
        with psycopg.connect(pair.source_url, autocommit=True) as admin:
            role = sql.Identifier(credentials["user"])
            admin.execute(sql.SQL("REVOKE CONNECT ON DATABASE postgres FROM {}").format(role))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(role))


async def test_a_move_whose_open_keeps_failing_is_rolled_back_and_the_source_serves_it(
    aiohttp_client: ClientFactory,
    client: Client,
    tenant: Tenant,
    placed: Callable[[], tuple[int, int]],
    pair: Pair,
    settings: Settings,
    second_servers: EmbeddedServers,
) -> None:
    target_url = second_servers.tenant_url
    credentials = await frozen_mid_move(client, tenant, pair, target_url, "OPEN_FAILS")
    spec = MoveSpec(credentials["database"], credentials["user"])
    # Then a worker copied and was lost, and the target's copy vanished: `open` cannot succeed.
    with psycopg.connect(second_servers.tenant_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(spec.database))
        )

    location, outcome = await run_queued_move(
        aiohttp_client, settings, tenant, "OPEN_FAILS", pair.target, MoveStep.COPY
    )

    assert outcome is Outcome.FAILED  # `open`: the target holds no copy of the account
    status, body = await wait_result(client, location, tenant.headers())
    assert status == 500, body
    view = await (await client.get("/api/v2/accounts/OPEN_FAILS", headers=tenant.headers())).json()
    assert (view["cluster"], view["state"]) == (pair.source, "ACTIVE")
    assert rows_at(credentials["url"]) == [(500, "row 99")]  # let in again on the source
    with psycopg.connect(second_servers.tenant_url) as target:
        role = target.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (spec.role,))
        assert role.fetchall() == []  # rolled back: the target holds nothing of it
        assert placed() == (1, 0)
