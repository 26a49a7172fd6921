"""Moving an account between two real clusters: the session's tenant cluster and a second one
started here from the embedded binaries. The data and the password travel; a failure leaves the
account usable where it was; every step run twice converges."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from service.domain.account_spec import AccountSpec
from service.settings import Settings
from tests.integration.rows import PASSWORD, new_spec
from tests.servers import extra_tenant_cluster
from workers.drivers.base import DriverError, TransientDriverError
from workers.drivers.moving import MOVE_STEPS, AccountMover, MoveSpec, MoveStep, run_move, run_step
from workers.drivers.moving.transfer import dump_and_restore
from workers.drivers.postgres import PostgresDriver

ROWS = 2000  # in items, as SEED inserts them
COPIED_ROWS = ROWS + ROWS // 3 + 1  # items, extra.notes, public.loose
# Mostly in schemas of the tenant's own: on PostgreSQL 15 a NOINHERIT login may not create in
# `public` (the rights of pg_database_owner are inherited ones); on 18 it may.
SEED = [
    "CREATE SCHEMA app",
    "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10, 2), "
    "added timestamptz NOT NULL DEFAULT now(), tags text[])",
    "INSERT INTO items (name, price, tags) SELECT 'item ' || i, i / 7.0, ARRAY['t' || i % 5] "
    "FROM generate_series(1, 2000) AS i",
    "CREATE INDEX items_name ON items (name)",
    "CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10",
    "CREATE FUNCTION total() RETURNS numeric LANGUAGE sql AS 'SELECT sum(price) FROM items'",
    "CREATE SCHEMA extra",
    "CREATE TABLE extra.notes (item int REFERENCES items (id), body text)",
    "INSERT INTO extra.notes SELECT id, repeat('x', id % 50) FROM items WHERE id % 3 = 0",
    "CREATE TABLE public.loose (v text)",  # both clusters run PostgreSQL 18 (see below)
    "INSERT INTO public.loose VALUES ('in public')",
]
READ_BACK = (
    "SELECT count(*), sum(price), total(), (SELECT count(*) FROM extra.notes), "
    "(SELECT v FROM public.loose) FROM items"
)


def _admin(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
    )


def login(cluster_url: str, spec: AccountSpec) -> psycopg.Connection[tuple[Any, ...]]:
    """A session as the account's login on `cluster_url`'s server, with its own password."""
    url = make_url(cluster_url)
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=spec.tenant_role,
        dbname=spec.tenant_database,
        password=PASSWORD,
        options="-c search_path=app",
        connect_timeout=5,
        autocommit=True,
    )


def holds(cluster_url: str, spec: AccountSpec) -> tuple[bool, bool]:
    """Whether the cluster has the account's (database, login)."""
    with _admin(cluster_url) as admin:
        database = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (spec.tenant_database,)
        ).fetchone()
        role = admin.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (spec.tenant_role,)
        ).fetchone()
    return database is not None, role is not None


@contextlib.contextmanager
def embedded_cluster() -> Iterator[str]:
    """A tenant cluster of its own, PostgreSQL from the embedded binaries; its superuser URL."""
    with extra_tenant_cluster("provisioner-move-") as servers:
        yield servers.tenant_url


# Both clusters are started here rather than taking the session's tenant cluster: a configured
# one may be of another major version or build (this sandbox's PostgreSQL 15 writes a column
# option, pg_attver, into its dumps that PostgreSQL 18 refuses: such a move fails and rolls back).
@pytest.fixture(scope="module")
def source_url() -> Iterator[str]:
    with embedded_cluster() as url:
        yield url


@pytest.fixture(scope="module")
def target_url() -> Iterator[str]:
    with embedded_cluster() as url:
        yield url


@pytest.fixture
def account(settings: Settings, source_url: str, target_url: str) -> Iterator[AccountSpec]:
    """An account made by the postgres driver on the session's cluster, holding data."""
    spec = new_spec()
    PostgresDriver(source_url, plans=settings.plans()).create(spec)
    with login(source_url, spec) as session:
        for statement in SEED:
            session.execute(statement)
    yield spec
    for url in (source_url, target_url):
        with _admin(url) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(spec.tenant_database)
                )
            )
            admin.execute(
                sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(spec.tenant_role))
            )


@pytest.fixture
def mover(source_url: str, target_url: str) -> AccountMover:
    return AccountMover(source_url, target_url)


def move_spec(account: AccountSpec, **options: Any) -> MoveSpec:
    return MoveSpec(account.tenant_database, account.tenant_role, **options)


def test_a_moved_account_keeps_its_data_and_its_password(
    mover: AccountMover, account: AccountSpec, source_url: str, target_url: str
) -> None:
    with login(source_url, account) as session:
        before = session.execute(READ_BACK).fetchone()
    finished: list[MoveStep] = []
    report = run_move(mover, move_spec(account), done=finished.append)
    assert finished == list(MOVE_STEPS)
    assert report.copy is not None
    assert (report.copy.tables, report.copy.rows, report.copy.copied) == (3, COPIED_ROWS, True)
    assert 0 < report.cutover_seconds < 60
    with login(target_url, account) as session:
        assert session.execute(READ_BACK).fetchone() == before
        owners = session.execute(
            "SELECT DISTINCT tableowner FROM pg_tables "
            "WHERE schemaname IN ('app', 'extra', 'public')"
        ).fetchall()
        assert owners == [(account.tenant_role,)]
        session.execute("INSERT INTO items (name) VALUES ('after the move')")  # writable
    assert holds(source_url, account) == (False, False)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        login(source_url, account)
    with _admin(target_url) as admin:
        public, restorers = admin.execute(
            "SELECT has_database_privilege('public', %s, 'CONNECT'), "
            "(SELECT count(*) FROM pg_roles WHERE rolname LIKE 'mover\\_%%')",
            (account.tenant_database,),
        ).fetchone() or (None, None)
    assert (public, restorers) == (False, 0)


def test_every_step_run_twice_converges_and_the_freeze_suspends_the_account(
    mover: AccountMover, account: AccountSpec, source_url: str, target_url: str
) -> None:
    spec = move_spec(account)
    reports = {}
    with login(source_url, account) as open_session:
        for step in MOVE_STEPS:
            first = run_step(mover, step, spec)
            reports[step] = (first, run_step(mover, step, spec))
            if step is MoveStep.FREEZE:
                with pytest.raises(psycopg.OperationalError):
                    open_session.execute("SELECT 1")  # its session was ended
                with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
                    login(source_url, account)
            if step is MoveStep.COPY:
                with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
                    login(target_url, account)  # not before `open`
    copies = reports[MoveStep.COPY]
    assert [report.copied if report else None for report in copies] == [True, False]
    with login(target_url, account) as session:
        assert session.execute("SELECT count(*) FROM items").fetchone() == (ROWS,)
    assert holds(source_url, account) == (False, False)


def test_a_failed_restore_leaves_the_account_usable_on_the_source_and_nothing_on_the_target(
    mover: AccountMover, account: AccountSpec, source_url: str, target_url: str
) -> None:
    # A grant to a role only the source has: pg_restore fails at the very end, after the data.
    grantee = f"grantee_{account.locator.lower()}"
    with _admin(source_url) as admin:
        admin.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(grantee)))
    try:
        with login(source_url, account) as session:
            session.execute(sql.SQL("GRANT SELECT ON items TO {}").format(sql.Identifier(grantee)))
        finished: list[MoveStep] = []
        with pytest.raises(DriverError, match="pg_restore failed"):
            run_move(mover, move_spec(account), done=finished.append)
        assert finished == [MoveStep.PREPARE, MoveStep.FREEZE]
        assert holds(target_url, account) == (False, False)
        with login(source_url, account) as session:
            session.execute("INSERT INTO items (name) VALUES ('still here')")
            assert session.execute("SELECT count(*) FROM items").fetchone() == (ROWS + 1,)
    finally:
        with _admin(source_url) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(account.tenant_database)
                )
            )
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(grantee)))


def test_a_move_resumed_at_copy_over_a_half_made_target_copies_again(
    mover: AccountMover, account: AccountSpec, target_url: str
) -> None:
    spec = move_spec(account)
    mover.prepare(spec)
    mover.freeze(spec)
    with _admin(target_url) as admin:  # as if a copy had died half-way
        database = sql.Identifier(account.tenant_database)
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(database))
    half = make_url(target_url).set(database=account.tenant_database)
    with _admin(half.render_as_string(hide_password=False)) as admin:
        admin.execute("CREATE TABLE half_copied (id int)")
    finished: list[MoveStep] = []
    report = run_move(mover, spec, start=MoveStep.COPY, done=finished.append)
    assert finished == [MoveStep.COPY, MoveStep.OPEN, MoveStep.RETIRE]
    assert report.copy is not None
    assert (report.copy.copied, report.copy.rows) == (True, COPIED_ROWS)
    with login(target_url, account) as session:
        assert session.execute("SELECT to_regclass('public.half_copied')").fetchone() == (None,)


def test_copy_and_roll_back_refuse_to_overwrite_an_opened_target(
    mover: AccountMover, account: AccountSpec, target_url: str
) -> None:
    spec = move_spec(account)
    mover.prepare(spec)
    with pytest.raises(DriverError, match="not frozen"):
        mover.copy(spec)
    for step in (MoveStep.FREEZE, MoveStep.COPY, MoveStep.OPEN):
        run_step(mover, step, spec)
    with login(target_url, account) as session:
        session.execute("INSERT INTO items (name) VALUES ('written on the target')")
    with pytest.raises(DriverError, match="open and differs"):
        mover.copy(spec)
    with pytest.raises(DriverError, match="open on the target"):
        mover.roll_back(spec)
    with login(target_url, account) as session:
        assert session.execute("SELECT count(*) FROM items").fetchone() == (ROWS + 1,)


def test_an_unreachable_target_is_a_transient_error_and_the_account_stays(
    account: AccountSpec, source_url: str
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mover = AccountMover(source_url, f"postgresql://postgres:none@127.0.0.1:{port}/postgres")
    with pytest.raises(TransientDriverError):
        run_move(mover, move_spec(account))
    with login(source_url, account) as session:
        assert session.execute("SELECT count(*) FROM items").fetchone() == (ROWS,)


def test_a_suspended_account_moves_suspended(
    mover: AccountMover, account: AccountSpec, source_url: str, target_url: str
) -> None:
    run_move(mover, move_spec(account, login=False))
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        login(target_url, account)


def test_a_move_within_one_cluster_is_refused(account: AccountSpec, source_url: str) -> None:
    with pytest.raises(DriverError, match="same cluster"):
        AccountMover(source_url, source_url).prepare(move_spec(account))
    assert holds(source_url, account) == (True, True)


def test_tenant_code_run_by_the_restore_gains_no_rights_on_the_target(
    mover: AccountMover, account: AccountSpec, source_url: str, target_url: str
) -> None:
    # A CHECK constraint's function runs for every row pg_restore loads; it tries to leave
    # `SET ROLE` and make the login a superuser (as a superuser's restore session would allow).
    escalate = f"""
        CREATE FUNCTION app.escalate() RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            BEGIN
                RESET ROLE;
                ALTER ROLE {account.tenant_role} SUPERUSER;
            EXCEPTION WHEN OTHERS THEN NULL;
            END;
            SET ROLE {account.tenant_role};
            RETURN true;
        END $$"""
    with login(source_url, account) as session:
        session.execute(escalate)
        session.execute("CREATE TABLE app.guarded (n int CHECK (app.escalate()))")
        session.execute("INSERT INTO app.guarded VALUES (1), (2)")
    run_move(mover, move_spec(account))
    with _admin(target_url) as admin:
        row = admin.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = %s", (account.tenant_role,)
        ).fetchone()
    assert row == (False,)
    with login(target_url, account) as session:
        assert session.execute("SELECT count(*) FROM app.guarded").fetchone() == (2,)


def test_a_changed_row_on_the_target_is_seen_and_copied_again(
    mover: AccountMover, account: AccountSpec, target_url: str
) -> None:
    spec = move_spec(account)
    for step in (MoveStep.PREPARE, MoveStep.FREEZE, MoveStep.COPY):
        run_step(mover, step, spec)
    copied = make_url(target_url).set(database=account.tenant_database)
    with _admin(copied.render_as_string(hide_password=False)) as admin:  # same count, one byte
        admin.execute("UPDATE app.items SET name = 'item 8' WHERE id = 9")
    report = mover.copy(spec)
    assert (report.copied, report.rows) == (True, COPIED_ROWS)
    mover.open(spec)
    with login(target_url, account) as session:
        assert session.execute("SELECT name FROM items WHERE id = 9").fetchone() == ("item 9",)


def test_a_dump_that_cannot_reach_the_source_is_named_as_the_transient_cause() -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as probe:  # ports nothing listens on
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    source, target = (f"host=127.0.0.1 port={port} dbname=x user=postgres" for port in ports)
    with pytest.raises(TransientDriverError, match="pg_dump could not reach"):
        dump_and_restore(source, target, role="x", timeout_seconds=30)
