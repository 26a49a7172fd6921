"""The postgres driver on a real cluster: every step converges when run twice or resumed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.domain.account_spec import AccountSpec
from service.domain.lifecycle import AccountState, OperationKind, OperationState
from service.settings import Settings
from service.store.models import Account, Operation
from service.usecases.operations import DriverOutcome, begin_operation
from tests.integration.rows import PASSWORD, new_spec, queued_create
from tests.integration.tenant import database_exists, login, role_exists, superuser
from workers.drivers.base import DriverError, TransientDriverError
from workers.drivers.postgres import PostgresDriver
from workers.drivers.tenant_cluster import classify
from workers.execute import Outcome, execute_operation

D = TypeVar("D", bound=PostgresDriver)


def tenant_driver(settings: Settings, kind: type[D], **options: Any) -> D:
    """A postgres driver (or a subclass of it) on the test's tenant cluster."""
    url = settings.tenant_url()
    assert url is not None
    return kind(url, plans=settings.plans(), **options)


@pytest.fixture
def driver(settings: Settings) -> PostgresDriver:
    return tenant_driver(settings, PostgresDriver)


@pytest.fixture
def spec(settings: Settings) -> Iterator[AccountSpec]:
    made = new_spec()
    yield made
    with superuser(settings) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(made.tenant_database)
            )
        )
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(made.tenant_role)))


def credentials(outcome: DriverOutcome) -> dict[str, Any]:
    assert outcome.credentials is not None
    return outcome.credentials


def assert_usable(outcome: DriverOutcome, settings: Settings, spec: AccountSpec) -> None:
    with login(credentials(outcome), PASSWORD) as session:
        assert session.execute("SELECT current_database()").fetchone() == (spec.tenant_database,)
    with superuser(settings) as admin:
        owner, limit = admin.execute(
            "SELECT pg_get_userbyid(datdba), datconnlimit FROM pg_database WHERE datname = %s",
            (spec.tenant_database,),
        ).fetchone() or (None, None)
    assert (owner, limit) == (spec.tenant_role, settings.edition_connection_limits["STANDARD"])


def test_create_twice_converges(
    driver: PostgresDriver, spec: AccountSpec, settings: Settings
) -> None:
    driver.create(spec)
    outcome = driver.create(spec)
    assert_usable(outcome, settings, spec)


def test_a_create_resumed_after_the_role_was_made_converges(
    driver: PostgresDriver, spec: AccountSpec, settings: Settings
) -> None:
    with superuser(settings) as admin:  # the first run died after CREATE ROLE
        admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(spec.tenant_role)))
    assert_usable(driver.create(spec), settings, spec)


def test_a_create_resumed_before_connect_was_revoked_converges(
    driver: PostgresDriver, spec: AccountSpec, settings: Settings
) -> None:
    driver.create(spec)
    with superuser(settings) as admin:  # as if the first run died before REVOKE
        admin.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(
                sql.Identifier(spec.tenant_database)
            )
        )
    driver.create(spec)
    with superuser(settings) as admin:
        allowed = admin.execute(
            "SELECT has_database_privilege('public', %s, 'CONNECT')", (spec.tenant_database,)
        ).fetchone()
    assert allowed == (False,)


def test_drop_undrop_and_rotate_twice_converge(
    driver: PostgresDriver, spec: AccountSpec, settings: Settings
) -> None:
    outcome = driver.create(spec)
    driver.drop(spec)
    driver.drop(spec)
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        login(credentials(outcome), PASSWORD)
    driver.undrop(spec)
    driver.undrop(spec)
    driver.rotate(spec)
    driver.rotate(spec)
    assert_usable(outcome, settings, spec)


def test_purge_twice_and_a_resumed_purge_converge(
    driver: PostgresDriver, spec: AccountSpec, settings: Settings
) -> None:
    driver.create(spec)
    with superuser(settings) as admin:  # the first run died after DROP DATABASE
        admin.execute(
            sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(spec.tenant_database))
        )
    driver.purge(spec)
    driver.purge(spec)
    assert not database_exists(settings, spec.tenant_database)
    assert not role_exists(settings, spec.tenant_role)


def test_steps_on_a_missing_role_fail_permanently(
    driver: PostgresDriver, spec: AccountSpec
) -> None:
    for step in (driver.drop, driver.undrop, driver.rotate):
        with pytest.raises(DriverError, match="does not exist") as caught:
            step(spec)
        assert not isinstance(caught.value, TransientDriverError)


def test_an_unreachable_cluster_is_a_transient_error(spec: AccountSpec, settings: Settings) -> None:
    driver = PostgresDriver(
        "postgresql://postgres@127.0.0.1:1/postgres",
        plans=settings.plans(),
    )
    with pytest.raises(TransientDriverError) as caught:
        driver.create(spec)
    assert "127.0.0.1" not in str(caught.value)
    assert "port" not in str(caught.value)


def test_a_refused_statement_names_its_sqlstate_and_nothing_internal(settings: Settings) -> None:
    with superuser(settings) as admin, pytest.raises(psycopg.Error) as raised:
        admin.execute("SELECT * FROM no_such_table_here")
    error = classify(raised.value)
    assert str(error) == "the tenant cluster refused a statement (SQLSTATE 42P01)"
    assert not isinstance(error, TransientDriverError)


class FailsAfterCreating(PostgresDriver):
    """Makes the role and database, then fails for good: the executor must clean up."""

    def create(self, account: AccountSpec) -> DriverOutcome:
        super().create(account)
        raise DriverError("the cluster rejected the last step")


class TransientThenFine(PostgresDriver):
    def __init__(self, *args: Any, failures: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures = failures

    def create(self, account: AccountSpec) -> DriverOutcome:
        if self.failures:
            self.failures -= 1
            raise TransientDriverError("too many connections")
        return super().create(account)


def test_a_create_that_fails_for_good_removes_what_it_made(
    engine: Engine, spec: AccountSpec, settings: Settings
) -> None:
    driver = tenant_driver(settings, FailsAfterCreating)
    operation = queued_create(engine, spec)
    outcome = execute_operation(sessionmaker(engine), driver, operation.id, max_attempts=3)
    assert outcome is Outcome.FAILED
    assert not database_exists(settings, spec.tenant_database)
    assert not role_exists(settings, spec.tenant_role)
    with Session(engine) as session:
        stored = session.get(Operation, operation.id)
        assert stored is not None
        assert stored.state == OperationState.FAILED
        assert "rejected the last step" in (stored.error or "")
        assert stored.password_verifier is None


def run_flaky_create(
    engine: Engine,
    spec: AccountSpec,
    settings: Settings,
    *,
    failures: int,
    max_attempts: int,
    runs: int,
) -> tuple[list[Outcome], Operation]:
    """Run a create `runs` times on a driver whose first `failures` steps fail transiently."""
    driver = tenant_driver(settings, TransientThenFine, failures=failures)
    operation = queued_create(engine, spec)
    sessions = sessionmaker(engine)
    outcomes = [
        execute_operation(sessions, driver, operation.id, max_attempts=max_attempts)
        for _ in range(runs)
    ]
    with Session(engine) as session:
        stored = session.get(Operation, operation.id)
        assert stored is not None
        return outcomes, stored


def test_transient_failures_are_retried_until_the_attempts_run_out(
    engine: Engine, spec: AccountSpec, settings: Settings
) -> None:
    outcomes, stored = run_flaky_create(engine, spec, settings, failures=1, max_attempts=3, runs=3)
    assert outcomes == [Outcome.RETRY, Outcome.SUCCEEDED, Outcome.SKIPPED]
    assert (stored.state, stored.attempts) == (OperationState.SUCCEEDED, 2)


def test_transient_failures_fail_the_operation_after_the_last_attempt(
    engine: Engine, spec: AccountSpec, settings: Settings
) -> None:
    outcomes, stored = run_flaky_create(engine, spec, settings, failures=9, max_attempts=2, runs=2)
    assert outcomes == [Outcome.RETRY, Outcome.FAILED]
    assert "after 2 attempts" in (stored.error or "")


class FailsAfterLocking(PostgresDriver):
    """Locks the login out, then fails for good: the executor must let the login back in."""

    def drop(self, account: AccountSpec) -> DriverOutcome:
        super().drop(account)
        raise DriverError("the cluster rejected the last step")


def test_a_drop_that_fails_for_good_lets_the_login_back_in(
    engine: Engine, spec: AccountSpec, settings: Settings
) -> None:
    driver = tenant_driver(settings, FailsAfterLocking)
    created = queued_create(engine, spec)
    sessions = sessionmaker(engine)
    assert execute_operation(sessions, driver, created.id, max_attempts=3) is Outcome.SUCCEEDED
    with Session(engine, expire_on_commit=False) as session, session.begin():
        account = session.get(Account, created.account_id)
        assert account is not None
        dropping = begin_operation(
            account, OperationKind.DROP, {"grace_period_days": 3}, "driver-test"
        )
        session.add(dropping)
    assert execute_operation(sessions, driver, dropping.id, max_attempts=3) is Outcome.FAILED
    with Session(engine) as session:
        account = session.get(Account, created.account_id)
        assert account is not None
        assert account.state == AccountState.ACTIVE
    outcome = driver.rotate(spec)  # same verifier: the original password
    with login(credentials(outcome), PASSWORD) as session_:
        assert session_.execute("SELECT 1").fetchone() == (1,)
