"""Moving one account's database and login from one tenant cluster to another, step by step.

Each step is idempotent: run again after it finished, or after a crash half-way, it converges.
Until `open` has run, `roll_back` puts everything back: the target holds nothing of the account
and the source serves it as before. `retire` refuses unless the target holds the open database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from workers.drivers.base import DriverError, TransientDriverError
from workers.drivers.moving.inventory import READ_OPTIONS, Inventory, take_inventory
from workers.drivers.moving.transfer import dump_and_restore, restore_login, restore_login_name
from workers.drivers.tenant_cluster import (
    LOCK_TIMEOUT_MS,
    Connection,
    connect,
    create_closed_database,
    database_exists,
    drop_database_and_role,
    open_database,
    role_exists,
    terminate_sessions,
)


@dataclass(frozen=True)
class MoveSpec:
    """The account being moved: its database and login (the same names on both clusters)."""

    database: str
    role: str
    # Whether the login may log in once the move ends or is undone: the account is ACTIVE and
    # enabled. The control database knows; the source cannot tell once it has been frozen.
    login: bool = True
    progress: Callable[[str], None] = field(default=lambda step: None, compare=False)


@dataclass(frozen=True)
class CopyReport:
    tables: int
    rows: int
    copied: bool  # false: the target already held the same inventory


@dataclass(frozen=True)
class _Source:
    """What the source says about the login and the database (pg_authid, pg_database)."""

    verifier: str
    can_login: bool
    attributes: str
    role_limit: int
    valid_until: str | None
    database_limit: int
    encoding: str


_SOURCE = (
    "SELECT a.rolpassword, a.rolcanlogin, a.rolsuper, a.rolinherit, a.rolcreaterole, "
    "a.rolcreatedb, a.rolreplication, a.rolbypassrls, a.rolconnlimit, a.rolvaliduntil::text, "
    "d.datconnlimit, pg_encoding_to_char(d.encoding) FROM pg_authid a, pg_database d "
    "WHERE a.rolname = %s AND d.datname = %s"
)
_FLAGS = ("SUPERUSER", "INHERIT", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS")


class AccountMover:
    def __init__(
        self,
        source_url: str,
        target_url: str,
        *,
        statement_timeout_seconds: float = 30.0,
        copy_timeout_seconds: float = 3600.0,
    ) -> None:
        self._source_info = _conninfo(source_url)
        self._target_info = _conninfo(target_url)
        self._options = (
            f"-c lock_timeout={LOCK_TIMEOUT_MS} "
            f"-c statement_timeout={int(statement_timeout_seconds * 1000)}"
        )
        self._copy_timeout = copy_timeout_seconds

    @contextmanager
    def _clusters(self) -> Iterator[tuple[Connection, Connection]]:
        """Superuser sessions on both clusters, refused when they are one cluster."""
        with (
            connect(self._source_info, self._options) as source,
            connect(self._target_info, self._options) as target,
        ):
            if _system_id(source) == _system_id(target):
                raise DriverError("the source and the target are the same cluster")
            yield source, target

    def prepare(self, spec: MoveSpec) -> None:
        """The login (same password verifier, attributes, limit; no LOGIN yet) and the closed
        database on the target."""
        with self._clusters() as (source, target):
            if target.info.server_version // 10000 < source.info.server_version // 10000:
                raise DriverError("the target runs an older PostgreSQL than the source")
            facts = _source_facts(source, spec)
            encoding = target.execute(
                "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'template1'"
            ).fetchone()
            if encoding != (facts.encoding,):
                raise DriverError(f"the target's databases are not in {facts.encoding}")
            spec.progress("copying the login to the target")
            _copy_login(target, spec.role, facts)
            create_closed_database(
                target, spec.database, spec.role, facts.database_limit, spec.progress
            )

    def freeze(self, spec: MoveSpec) -> None:
        """Suspend the account on the source: NOLOGIN, then its sessions ended."""
        with connect(self._source_info, self._options) as source:
            if not role_exists(source, spec.role):
                raise DriverError("the account's login does not exist on the source cluster")
            spec.progress("suspending the login on the source")
            source.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(spec.role)))
            spec.progress("ending the account's sessions on the source")
            terminate_sessions(source, spec.database, spec.role)
            left = source.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s AND pid <> "
                "pg_backend_pid()",
                (spec.role,),
            ).fetchone()
            if left != (0,):
                raise TransientDriverError("sessions of the account on the source did not end")

    def copy(self, spec: MoveSpec) -> CopyReport:
        """Dump the frozen source into a fresh target database, then compare the two; a no-op
        when the target already holds what the source holds. Refuses to overwrite a target the
        login may already use."""
        with self._clusters() as (source, target):
            facts = _source_facts(source, spec)
            if facts.can_login:
                raise DriverError("the source is not frozen: run freeze before copy")
            if not role_exists(target, spec.role):
                raise DriverError("the target has no login for the account: run prepare first")
            opened = _database_open(target, spec.database)
            if opened:
                wanted = self._inventory(self._source_info, spec)
                if self._inventory(self._target_info, spec) == wanted:
                    spec.progress("the target already holds the account's data")
                    return CopyReport(len(wanted.tables), wanted.rows, copied=False)
                if _can_login(target, spec.role):
                    raise DriverError("the target is open and differs from the source")
            # The source is frozen: its inventory is taken while the copy runs.
            with ThreadPoolExecutor(max_workers=1) as pool:
                source_inventory = pool.submit(self._inventory, self._source_info, spec)
                self._restore(target, spec, facts, fresh=not opened)
                wanted = source_inventory.result()
            spec.progress("verifying the copy")
            differences = wanted.differences(self._inventory(self._target_info, spec))
            if differences:
                raise DriverError("the copy differs from the source: " + "; ".join(differences[:5]))
        return CopyReport(len(wanted.tables), wanted.rows, copied=True)

    def _restore(self, target: Connection, spec: MoveSpec, facts: _Source, *, fresh: bool) -> None:
        """Restore into the database as `prepare` made it: kept when `fresh` (a database that
        never allowed connections was never written to), else dropped and made again."""
        target.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(spec.role)))
        if not fresh:
            spec.progress("recreating the database on the target")
            drop_database_and_role(
                target, spec.database, restore_login_name(spec.database), spec.progress
            )
        create_closed_database(
            target, spec.database, spec.role, facts.database_limit, spec.progress
        )
        open_database(target, spec.database)  # PUBLIC has no CONNECT, the login no LOGIN
        spec.progress("copying the data (pg_dump | pg_restore)")
        with restore_login(target, spec.database, spec.role) as password:
            restorer = make_conninfo(
                self._target_info,
                dbname=spec.database,
                user=restore_login_name(spec.database),
                password=password,
            )
            dump_and_restore(
                make_conninfo(self._source_info, dbname=spec.database),
                restorer,
                role=spec.role,
                timeout_seconds=self._copy_timeout,
            )

    def _inventory(self, conninfo: str, spec: MoveSpec) -> Inventory:
        options = f"{READ_OPTIONS} -c statement_timeout={int(self._copy_timeout * 1000)}"
        with connect(make_conninfo(conninfo, dbname=spec.database), options, harden=False) as db:
            return take_inventory(db)

    def open(self, spec: MoveSpec) -> None:
        """Let the login in on the target (unless the account is suspended)."""
        with connect(self._target_info, self._options) as target:
            if not (database_exists(target, spec.database) and role_exists(target, spec.role)):
                raise DriverError("the target holds no copy of the account to open")
            spec.progress("opening the database on the target")
            open_database(target, spec.database)
            if spec.login:
                target.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(spec.role)))

    def retire(self, spec: MoveSpec) -> None:
        """Drop the database and the login on the source, once the target holds them open."""
        with self._clusters() as (source, target):
            if not (_database_open(target, spec.database) and role_exists(target, spec.role)):
                raise DriverError("refusing to retire the source: the target holds no open copy")
            drop_database_and_role(source, spec.database, spec.role, spec.progress)

    def roll_back(self, spec: MoveSpec) -> None:
        """Undo a move that has not opened: the source serves the account, the target holds
        nothing of it."""
        with self._clusters() as (source, target):
            if not database_exists(source, spec.database):
                raise DriverError("the source no longer holds the account; nothing to roll back")
            if _can_login(target, spec.role):
                raise DriverError("the account is open on the target; finish the move instead")
            if spec.login and role_exists(source, spec.role):
                spec.progress("letting the login in again on the source")
                source.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(spec.role)))
            spec.progress("removing the copy from the target")
            drop_database_and_role(target, spec.database, spec.role, spec.progress)
            target.execute(
                sql.SQL("DROP ROLE IF EXISTS {}").format(
                    sql.Identifier(restore_login_name(spec.database))
                )
            )


def _copy_login(target: Connection, role: str, facts: _Source) -> None:
    """Created without LOGIN; an existing one keeps its LOGIN or NOLOGIN (`open` sets it)."""
    verb = "ALTER ROLE {} WITH " if role_exists(target, role) else "CREATE ROLE {} NOLOGIN "
    valid: sql.Composable = sql.SQL("")
    if facts.valid_until is not None:
        valid = sql.SQL(" VALID UNTIL {}").format(sql.Literal(facts.valid_until))
    target.execute(
        sql.SQL(verb + facts.attributes + " CONNECTION LIMIT {} PASSWORD {}{}").format(
            sql.Identifier(role), sql.Literal(facts.role_limit), sql.Literal(facts.verifier), valid
        )
    )


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _system_id(connection: Connection) -> object:
    row = connection.execute("SELECT system_identifier FROM pg_control_system()").fetchone()
    return row[0] if row else None


def _can_login(connection: Connection, role: str) -> bool:
    row = connection.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (role,))
    return row.fetchone() == (True,)


def _database_open(connection: Connection, database: str) -> bool:
    row = connection.execute(
        "SELECT datallowconn FROM pg_database WHERE datname = %s", (database,)
    ).fetchone()
    return row == (True,)


def _source_facts(source: Connection, spec: MoveSpec) -> _Source:
    row = source.execute(_SOURCE, (spec.role, spec.database)).fetchone()
    if row is None:
        raise DriverError("the account's login or database does not exist on the source cluster")
    verifier, can_login, *flags, role_limit, valid_until, database_limit, encoding = row
    if flags[0]:
        raise DriverError("the account's login is a superuser; refusing to copy it")
    if not isinstance(verifier, str) or not verifier.startswith("SCRAM-SHA-256$"):
        raise DriverError("the account's login has no SCRAM password on the source")
    attributes = " ".join(
        name if flag else f"NO{name}" for name, flag in zip(_FLAGS, flags, strict=True)
    )
    return _Source(
        verifier,
        bool(can_login),
        attributes,
        int(str(role_limit)),
        None if valid_until is None else str(valid_until),
        int(str(database_limit)),
        str(encoding),
    )
