"""Routing: the worker registers its own cluster as `default`, and every step of an account
placed on another cluster runs there; its credentials carry that cluster's public address."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from service.domain.clusters import DEFAULT_CLUSTER
from service.domain.roles import Role
from service.domain.usage import StorageLimitAction
from service.settings import Settings
from service.store.models import Account, AccountUsage, Organization
from tests.conftest import Tenant
from tests.integration.api import Client, accepted_location, wait_result
from tests.integration.fleet import Fleet, fleet, second_cluster, second_servers
from tests.integration.tenant import database_exists, login
from tests.integration.test_tenant_accounts import created_credentials
from workers.resources import WorkerResources
from workers.usage import UsagePolicy, scan_fleet

__all__ = ["fleet", "second_cluster", "second_servers"]
PASSWORD = "Sup3r-secret-pw!"  # what account_body sends


def databases_on(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute("SELECT datname FROM pg_database").fetchall()
    return {str(row[0]) for row in rows}


async def test_the_workers_cluster_is_registered_as_default_and_takes_the_default_region(
    client: Client, tenant: Tenant, fleet: Fleet, settings: Settings
) -> None:
    credentials = await created_credentials(client, tenant, "ON_DEFAULT")

    default = fleet.cluster(DEFAULT_CLUSTER)
    assert default.region == settings.default_region
    assert "ON_DEFAULT" in fleet.accounts_on(DEFAULT_CLUSTER)
    assert database_exists(settings, credentials["database"])
    response = await client.get("/api/v2/accounts/ON_DEFAULT", headers=tenant.headers())
    view = await response.json()
    assert view["region"] == settings.default_region
    assert view["cluster"] == DEFAULT_CLUSTER  # an admin sees it


async def test_an_accounts_steps_run_on_its_own_cluster(
    client: Client, tenant: Tenant, fleet: Fleet, settings: Settings, second_cluster: str
) -> None:
    region, cluster = fleet.add_real(second_cluster)
    port = make_url(second_cluster).port

    credentials = await created_credentials(client, tenant, "ELSEWHERE", region=region)

    assert (credentials["host"], credentials["port"]) == ("127.0.0.1", port)
    assert credentials["database"] in databases_on(second_cluster)
    assert not database_exists(settings, credentials["database"])
    with login(credentials, PASSWORD) as session:
        assert session.execute("SELECT current_database()").fetchone() == (credentials["database"],)
    assert fleet.accounts_on(cluster) == ["ELSEWHERE"]
    assert fleet.cluster(cluster).last_ok_on is not None

    drop = await client.delete(
        "/api/v2/accounts/ELSEWHERE?gracePeriodInDays=3", headers=tenant.headers()
    )
    status, _ = await wait_result(client, await accepted_location(drop), tenant.headers())
    assert status == 200
    with pytest.raises(psycopg.OperationalError):
        login(credentials, PASSWORD).close()

    viewer = await client.get("/api/v2/accounts/ELSEWHERE", headers=tenant.headers(Role.VIEWER))
    assert "cluster" not in await viewer.json()


async def test_the_usage_scan_measures_each_cluster(
    client: Client, tenant: Tenant, fleet: Fleet, settings: Settings, second_cluster: str
) -> None:
    region, cluster = fleet.add_real(second_cluster)
    await created_credentials(client, tenant, "MEASURED_THERE", region=region)
    await created_credentials(client, tenant, "MEASURED_HERE")
    resources = WorkerResources(settings)  # what a worker process builds
    policy = UsagePolicy(settings.plans(), StorageLimitAction.FLAG)
    try:
        clusters = dict(resources.cluster_drivers())
        assert {DEFAULT_CLUSTER, cluster} <= set(clusters)
        scan_fleet(resources.sessions, [(cluster, clusters[cluster])], policy, lambda _: None)
        scan_fleet(
            resources.sessions,
            [(DEFAULT_CLUSTER, clusters[DEFAULT_CLUSTER])],
            policy,
            lambda _: None,
        )
        with resources.sessions() as session:
            there = session.get(AccountUsage, account_id(session, "MEASURED_THERE", tenant))
            here = session.get(AccountUsage, account_id(session, "MEASURED_HERE", tenant))
    finally:
        resources.close()
    assert (there.cluster if there else None) == cluster
    assert (here.cluster if here else None) == DEFAULT_CLUSTER


def account_id(session: Session, name: str, tenant: Tenant) -> int:
    found = session.scalar(
        select(Account.id)
        .join(Organization, Organization.id == Account.organization_id)
        .where(Organization.name == tenant.name, Account.name == name)
    )
    assert found is not None
    return found
