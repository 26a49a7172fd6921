"""Hardening a tenant cluster on first use: version, rights, and nothing open to PUBLIC."""

from __future__ import annotations

import threading

import psycopg
import structlog
from psycopg import sql

from service.domain.clusters import rights_problem, version_problem
from service.domain.tenants import PREFIX
from workers.drivers.base import DriverError

RIGHTS = "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
_log = structlog.get_logger(__name__)
_hardened: set[str] = set()
_lock = threading.Lock()

# Every database but the accounts' own that PUBLIC may still connect to (postgres, template1,
# the control database when it shares the server, anything an operator made by hand).
_OPEN_TO_PUBLIC = (
    "SELECT d.datname FROM pg_database d "
    "CROSS JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
    "WHERE a.grantee = 0 AND a.privilege_type = 'CONNECT' AND d.datname NOT LIKE %s "
    "ORDER BY d.datname"
)
_PUBLIC_CREATE_ON_PUBLIC = (
    "SELECT 1 FROM pg_namespace n "
    "CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a "
    "WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'"
)


def refused(missing: str) -> DriverError:
    return DriverError(f"tenant cluster: {missing}; provisioning refused")


def ensure_hardened(conninfo: str) -> None:
    """Harden conninfo's cluster once per process; a permanent DriverError when we cannot."""
    with _lock:
        if conninfo in _hardened:
            return
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
            _check_server(connection)
            _close_databases(connection)
        template = psycopg.conninfo.make_conninfo(conninfo, dbname="template1")
        with psycopg.connect(template, autocommit=True, connect_timeout=5) as connection:
            _close_public_schema(connection)
        _hardened.add(conninfo)


def _check_server(connection: psycopg.Connection[tuple[object, ...]]) -> None:
    problem = version_problem(connection.info.server_version)
    if problem:
        raise refused(problem)
    row = connection.execute(RIGHTS).fetchone()
    superuser, createrole, createdb = row or (False, False, False)
    problem = rights_problem(bool(superuser), bool(createrole), bool(createdb))
    if problem:
        raise refused(problem)


def _close_databases(connection: psycopg.Connection[tuple[object, ...]]) -> None:
    pattern = PREFIX.replace("_", "\\_") + "%"
    for (name,) in connection.execute(_OPEN_TO_PUBLIC, (pattern,)).fetchall():
        connection.execute(
            sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(str(name)))
        )
        _log.info("tenant_cluster.database_closed", database=str(name))
    if connection.execute(_OPEN_TO_PUBLIC, (pattern,)).fetchone() is not None:
        raise refused("the configured role cannot revoke CONNECT from PUBLIC")


def _close_public_schema(connection: psycopg.Connection[tuple[object, ...]]) -> None:
    if connection.execute(_PUBLIC_CREATE_ON_PUBLIC).fetchone() is None:
        return
    connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    _log.info("tenant_cluster.template_schema_closed", database="template1")
