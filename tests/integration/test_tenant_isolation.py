"""A tenant's login attacks its cluster: it stays inside its own database and its plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from service.adapters.embedded import EmbeddedServers
from service.domain.account_spec import AccountSpec
from service.domain.plans import PlanLimits
from service.domain.schemas import Edition
from service.settings import Settings
from tests.integration.rows import PASSWORD, new_spec
from tests.integration.tenant import superuser
from workers.drivers.base import DriverError, TransientDriverError
from workers.drivers.postgres import PostgresDriver

SMALL = 3
PLANS = {
    Edition.STANDARD: PlanLimits(connections=SMALL, storage_bytes=1 << 40),
    Edition.ENTERPRISE: PlanLimits(connections=SMALL + 2, storage_bytes=1 << 40),
    Edition.BUSINESS_CRITICAL: PlanLimits(connections=1, storage_bytes=1 << 20),
}


def tenant_url(settings: Settings) -> str:
    url = settings.tenant_url()
    assert url is not None
    return url


@pytest.fixture
def driver(settings: Settings) -> PostgresDriver:
    return PostgresDriver(tenant_url(settings), plans=PLANS)


def drop_account(settings: Settings, spec: AccountSpec) -> None:
    with superuser(settings) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(spec.tenant_database)
            )
        )
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(spec.tenant_role)))


@pytest.fixture
def accounts(driver: PostgresDriver, settings: Settings) -> Iterator[Callable[[], AccountSpec]]:
    """Creates accounts on the test's cluster and removes them afterwards."""
    made: list[AccountSpec] = []

    def create() -> AccountSpec:
        made.append(new_spec())
        driver.create(made[-1])
        return made[-1]

    yield create
    for spec in made:
        drop_account(settings, spec)


@pytest.fixture
def account(accounts: Callable[[], AccountSpec]) -> AccountSpec:
    return accounts()


@pytest.fixture
def other(accounts: Callable[[], AccountSpec]) -> AccountSpec:
    return accounts()


def connect_as(settings: Settings, spec: AccountSpec, database: str) -> psycopg.Connection[Any]:
    url = make_url(tenant_url(settings))
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=spec.tenant_role,
        password=PASSWORD,
        dbname=database,
        autocommit=True,
        connect_timeout=5,
    )


def test_the_login_cannot_lift_its_role_limit_nor_pass_it(
    account: AccountSpec, settings: Settings
) -> None:
    sessions = [connect_as(settings, account, account.tenant_database)]
    try:
        own = sql.Identifier(account.tenant_database)
        sessions[0].execute(sql.SQL("ALTER DATABASE {} CONNECTION LIMIT -1").format(own))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sessions[0].execute(
                sql.SQL("ALTER ROLE {} CONNECTION LIMIT -1").format(
                    sql.Identifier(account.tenant_role)
                )
            )
        sessions += [connect_as(settings, account, account.tenant_database) for _ in range(2)]
        with pytest.raises(psycopg.OperationalError, match="too many connections for role"):
            sessions.append(connect_as(settings, account, account.tenant_database))
    finally:
        for session in sessions:
            session.close()


def test_the_login_reaches_no_database_but_its_own(
    account: AccountSpec, other: AccountSpec, settings: Settings
) -> None:
    for database in ("postgres", "template1", other.tenant_database):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            connect_as(settings, account, database).close()
    # The control database: on its own server by default, where the login does not exist; in
    # the single-server layout on this one, where CONNECT is revoked from PUBLIC.
    control = make_url(settings.database_url or "")
    with pytest.raises(
        psycopg.OperationalError,
        match=r"password authentication failed|permission denied for database",
    ):
        psycopg.connect(
            host=control.host,
            port=control.port,
            user=account.tenant_role,
            password=PASSWORD,
            dbname=control.database,
            connect_timeout=5,
        ).close()


class RacedCreate(PostgresDriver):
    """Tries another account's login on the new database at every step after CREATE DATABASE."""

    def __init__(self, url: str, intruder: AccountSpec, settings: Settings) -> None:
        super().__init__(url, plans=PLANS)
        self.intruder, self.settings = intruder, settings
        self.refusals: list[str] = []

    def create(self, account: AccountSpec) -> Any:
        def race(step: str) -> None:
            if step in ("restricting access to the database", "opening the database to its login"):
                with pytest.raises(psycopg.OperationalError) as caught:
                    connect_as(self.settings, self.intruder, account.tenant_database).close()
                self.refusals.append(str(caught.value))

        return super().create(replace(account, progress=race))


def test_a_connection_raced_into_a_database_being_created_is_refused(
    other: AccountSpec, settings: Settings
) -> None:
    spec = new_spec()
    driver = RacedCreate(tenant_url(settings), other, settings)
    try:
        driver.create(spec)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            connect_as(settings, other, spec.tenant_database).close()
    finally:
        drop_account(settings, spec)
    assert len(driver.refusals) == 2
    assert all("is not currently accepting connections" in text for text in driver.refusals)


def role_row(settings: Settings, role: str) -> tuple[Any, ...]:
    with superuser(settings) as admin:
        row = admin.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
            "rolbypassrls, rolinherit, rolconnlimit FROM pg_roles WHERE rolname = %s",
            (role,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_the_login_has_no_attribute_beyond_login(account: AccountSpec, settings: Settings) -> None:
    assert role_row(settings, account.tenant_role) == (
        True,
        False,
        False,
        False,
        False,
        False,
        True,  # inherits: only its database's pg_database_owner, for `public` on PostgreSQL 15
        SMALL,
    )


def test_an_edition_change_reapplies_the_role_limit_and_says_when_below_use(
    driver: PostgresDriver, account: AccountSpec, settings: Settings
) -> None:
    enterprise = replace(account, request={"patch": {"edition": "ENTERPRISE"}})
    assert driver.update(enterprise).warnings == []
    assert role_row(settings, account.tenant_role)[-1] == SMALL + 2
    sessions = [connect_as(settings, account, account.tenant_database) for _ in range(2)]
    try:
        critical = replace(account, request={"patch": {"edition": "BUSINESS_CRITICAL"}})
        warnings = driver.update(critical).warnings
    finally:
        for session in sessions:
            session.close()
    assert role_row(settings, account.tenant_role)[-1] == 1
    assert warnings[0] == (
        "the BUSINESS_CRITICAL plan allows 1 connections; 2 are open "
        "(new sessions are refused until fewer than 1 remain)"
    )
    assert "bytes of storage" in warnings[1]


@pytest.fixture
def fresh_cluster(tmp_path: Path) -> Iterator[str]:
    """A second embedded PostgreSQL of this test's own, opened up the way a stock cluster is."""
    (tmp_path / "logs").mkdir()
    tmp_path.chmod(0o755)  # the embedded server runs as its own user and reads its data here
    servers = EmbeddedServers("", "", tmp_path, fast=True)
    servers.start("postgresql")
    try:
        with psycopg.connect(servers.admin_url, autocommit=True) as admin:
            admin.execute("GRANT CONNECT ON DATABASE postgres, template1 TO PUBLIC")
        with psycopg.connect(servers.admin_url, dbname="template1", autocommit=True) as admin:
            admin.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
        yield servers.admin_url
    finally:
        servers.stop()


def public_rights(url: str) -> tuple[bool, bool, bool]:
    with psycopg.connect(url, dbname="template1", autocommit=True) as admin:
        row = admin.execute(
            "SELECT has_database_privilege('public', 'postgres', 'CONNECT'), "
            "has_database_privilege('public', 'template1', 'CONNECT'), "
            "has_schema_privilege('public', 'public', 'CREATE')"
        ).fetchone()
    assert row is not None
    return (bool(row[0]), bool(row[1]), bool(row[2]))


def test_a_fresh_cluster_is_hardened_on_first_use(fresh_cluster: str) -> None:
    assert public_rights(fresh_cluster) == (True, True, True)
    spec = new_spec()
    PostgresDriver(fresh_cluster, plans=PLANS).create(spec)
    assert public_rights(fresh_cluster) == (False, False, False)


def test_a_role_without_the_rights_is_refused_clearly(fresh_cluster: str) -> None:
    with psycopg.connect(fresh_cluster, autocommit=True) as admin:
        admin.execute("CREATE ROLE weak LOGIN PASSWORD 'weak-pw-1' CREATEDB")
        admin.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO weak").format(
                sql.Identifier(make_url(fresh_cluster).database or "postgres")
            )
        )
    weak = make_url(fresh_cluster).set(username="weak", password="weak-pw-1")
    driver = PostgresDriver(weak.render_as_string(hide_password=False), plans=PLANS)
    with pytest.raises(DriverError, match="lacks CREATEROLE, SUPERUSER") as caught:
        driver.create(new_spec())
    assert not isinstance(caught.value, TransientDriverError)
    assert "provisioning refused" in str(caught.value)
