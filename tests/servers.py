"""Real PostgreSQL and Redis for the test session: configured ones, or embedded ones.

Laid out as `provisioner up` lays them out: the control database on one server, the accounts on
a separate tenant cluster. `TEST_DATABASE_URL` / `TEST_REDIS_URL` / `TEST_TENANT_DATABASE_URL`
point the tests at existing servers (a fresh control database is created and dropped on the
PostgreSQL server; a unique queue name isolates the Redis traffic; the accounts the tests made
are removed from the tenant cluster). Whatever is not given comes from the same embedded servers
`provisioner up` starts, and the embedded control database is reached as the control role, which
is not a superuser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from service.adapters.embedded import TENANT, EmbeddedServers, embedded_servers


@dataclass(frozen=True)
class RealServers:
    database_url: str  # the session's own control database
    redis_url: str
    tenant_url: str  # superuser-capable URL of the tenant cluster, a server apart
    log_dir: Path | None  # the embedded servers' logs; None for configured servers


@contextlib.contextmanager
def _fresh_database(admin_url: str, login_url: str) -> Iterator[str]:
    """A new database made by `admin_url`'s role, owned by `login_url`'s; its URL as the latter."""
    name = f"provisioner_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(admin_url).set(drivername="postgresql", database="postgres")
    login = make_url(login_url)
    with psycopg.connect(admin.render_as_string(False), autocommit=True) as connection:
        connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(login.username or "")
            )
        )
    try:
        yield login.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin.render_as_string(False), autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _drop_tenants(database_url: str, tenant_url: str) -> None:
    """Remove the tenant databases and roles the tests made (the cluster may be a shared one)."""
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT tenant_database, tenant_role FROM accounts WHERE tenant_database IS NOT NULL"
        ).fetchall()
    with psycopg.connect(tenant_url, autocommit=True) as connection:
        for database, role in rows:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@contextlib.contextmanager
def real_servers(data_dir: Path) -> Iterator[RealServers]:
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    tenant_url = os.environ.get("TEST_TENANT_DATABASE_URL")
    with contextlib.ExitStack() as stack:
        log_dir = None
        admin_url = database_url
        if not (database_url and redis_url and tenant_url):
            embedded = stack.enter_context(
                embedded_servers(data_dir, fast=True, tenant=not tenant_url)
            )
            if not database_url:
                database_url, admin_url = embedded.database_url, embedded.admin_url
            redis_url = redis_url or embedded.redis_url
            tenant_url = tenant_url or embedded.tenant_url
            log_dir = data_dir / "logs"
        assert admin_url is not None
        database_url = stack.enter_context(_fresh_database(admin_url, database_url))
        stack.callback(_drop_tenants, database_url, tenant_url)
        yield RealServers(database_url, redis_url, tenant_url, log_dir)


@contextlib.contextmanager
def extra_tenant_cluster(prefix: str) -> Iterator[EmbeddedServers]:
    """A real tenant cluster apart from the session's: PostgreSQL from the embedded binaries, in
    a folder of its own (`tenant_url` is its superuser URL); removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    data_dir.chmod(0o755)
    (data_dir / "logs").mkdir()
    servers = EmbeddedServers("", "", data_dir, fast=True)
    try:
        servers.start(TENANT)
        yield servers
    finally:
        servers.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
