"""A tenant cluster's superuser session and the statements that make, open and remove an
account's role and database there (the create's hardening, shared by the driver and the mover).

Every function checks what exists before it acts, so a retry, or a run resumed after a crash
between two statements, converges instead of failing with "already exists".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import structlog
from psycopg import sql

from workers.drivers.base import ClusterUnreachable, DriverError, TransientDriverError
from workers.drivers.hardening import ensure_hardened

_log = structlog.get_logger(__name__)

Connection = psycopg.Connection[tuple[object, ...]]

CONNECT_TIMEOUT_SECONDS = 5
LOCK_TIMEOUT_MS = 5000
TERMINATE_WAIT_MS = 5000
# SQLSTATE classes and codes worth retrying: connection trouble, too many connections / out of
# resources, serialization failures and deadlocks, lock timeouts, "starting up", cancelled.
_TRANSIENT_CLASSES = frozenset({"08", "53", "40"})
_TRANSIENT_CODES = frozenset({"55P03", "57P03", "57014", "57P01"})


def classify(error: psycopg.Error) -> DriverError:
    """A psycopg error as a transient or a permanent driver error.

    The server's text may name hosts, ports and roles: it goes to the worker's log (which carries
    the operation id); the message, stored as the operation's error, names only the SQLSTATE."""
    state = error.sqlstate or ""
    detail = str(error).strip() or type(error).__name__
    _log.warning("tenant_cluster.error", sqlstate=state or None, detail=detail)
    if (not state and isinstance(error, psycopg.OperationalError)) or (
        state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_CODES
    ):
        return TransientDriverError(
            f"the tenant cluster could not be reached or was busy (SQLSTATE {state or 'none'})"
        )
    return DriverError(f"the tenant cluster refused a statement (SQLSTATE {state or 'none'})")


@contextmanager
def connect(
    conninfo: str,
    options: str,
    *,
    harden: bool = True,
    timeout_seconds: int = CONNECT_TIMEOUT_SECONDS,
) -> Iterator[Connection]:
    """An autocommit superuser session on a hardened cluster; psycopg errors come out classified.

    `harden=False` for a session on an account's database of a cluster already hardened, or
    for a probe, which also waits less for the connection (`timeout_seconds`)."""
    try:
        if harden:
            ensure_hardened(conninfo)
        connection = psycopg.connect(
            conninfo,
            autocommit=True,  # CREATE/DROP DATABASE refuse to run in a transaction
            connect_timeout=timeout_seconds,
            options=options,
        )
    except psycopg.Error as exc:
        error = classify(exc)
        if isinstance(error, TransientDriverError) and _unreachable(exc):
            raise ClusterUnreachable(str(error)) from exc
        raise error from exc
    try:
        yield connection
    except psycopg.Error as exc:
        raise classify(exc) from exc
    finally:
        connection.close()


def _unreachable(error: psycopg.Error) -> bool:
    """A connection that never opened: refused, timed out, the server starting or stopping."""
    state = error.sqlstate or ""
    return not state or state.startswith("08") or state in {"57P03", "57P01"}


def role_exists(connection: Connection, role: str) -> bool:
    return (
        connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        is not None
    )


def database_exists(connection: Connection, database: str) -> bool:
    row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
    return row is not None


def create_closed_database(
    connection: Connection,
    database: str,
    role: str,
    limit: int,
    progress: Callable[[str], None],
) -> None:
    """`database` owned by `role`, with PUBLIC's rights revoked, open to no one yet."""
    name, owner, connections = sql.Identifier(database), sql.Identifier(role), sql.Literal(limit)
    progress("creating the database")
    if not database_exists(connection, database):
        connection.execute(
            sql.SQL(
                "CREATE DATABASE {} OWNER {} ALLOW_CONNECTIONS false CONNECTION LIMIT {}"
            ).format(name, owner, connections)
        )
    progress("restricting access to the database")
    connection.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(name, owner))
    connection.execute(
        sql.SQL("ALTER DATABASE {} WITH CONNECTION LIMIT {}").format(name, connections)
    )
    connection.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(name))


def open_database(connection: Connection, database: str) -> None:
    connection.execute(
        sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(sql.Identifier(database))
    )


def terminate_sessions(connection: Connection, database: str, role: str) -> None:
    """End every session of `role` or on `database` (waiting up to TERMINATE_WAIT_MS each)."""
    connection.execute(
        "SELECT pg_terminate_backend(pid, %s) FROM pg_stat_activity "
        "WHERE (usename = %s OR datname = %s) AND pid <> pg_backend_pid()",
        (TERMINATE_WAIT_MS, role, database),
    )


def drop_database_and_role(
    connection: Connection, database: str, role: str, progress: Callable[[str], None]
) -> None:
    progress("dropping the database")
    connection.execute(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
    )
    progress("dropping the role")
    connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
