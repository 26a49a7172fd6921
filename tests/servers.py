"""Real PostgreSQL and Redis for the test session: configured ones, or embedded ones.

`TEST_DATABASE_URL` / `TEST_REDIS_URL` point the tests at existing servers (a fresh database is
created and dropped on the PostgreSQL server; a unique queue name isolates the Redis traffic).
Without them the tests start the same embedded servers `provisioner up` uses.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from service.adapters.embedded import embedded_servers


@dataclass(frozen=True)
class RealServers:
    database_url: str
    redis_url: str
    log_dir: Path | None  # the embedded servers' logs; None for configured servers


@contextlib.contextmanager
def _fresh_database(server_url: str) -> Iterator[str]:
    name = f"provisioner_test_{uuid.uuid4().hex[:12]}"
    url = make_url(server_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    database_url = url.set(database=name).render_as_string(hide_password=False)
    try:
        yield database_url
    finally:
        _drop_tenants(database_url, admin)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _drop_tenants(database_url: str, admin_url: str) -> None:
    """Remove the tenant databases and roles the tests made (they live on a shared server)."""
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT tenant_database, tenant_role FROM accounts WHERE tenant_database IS NOT NULL"
        ).fetchall()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        for database, role in rows:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@contextlib.contextmanager
def real_servers(data_dir: Path) -> Iterator[RealServers]:
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    with contextlib.ExitStack() as stack:
        log_dir = None
        if not (database_url and redis_url):
            embedded = stack.enter_context(embedded_servers(data_dir, fast=True))
            database_url = database_url or embedded.database_url
            redis_url = redis_url or embedded.redis_url
            log_dir = data_dir / "logs"
        database_url = stack.enter_context(_fresh_database(database_url))
        yield RealServers(database_url, redis_url, log_dir)
