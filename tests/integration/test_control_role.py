"""The control plane's own role on the embedded control cluster: not a superuser, owner of all
in its database (also of what an earlier version left to the superuser); and the warning when an
operator's DATABASE_URL is a superuser."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from service.adapters.control_role import warn_if_superuser
from service.adapters.embedded import EmbeddedServers, embedded_servers
from service.store.migrations import upgrade_to_head

# Objects in `public` not owned by the control role, extension members aside.
NOT_OURS = """
SELECT kind, name, owner FROM (
    SELECT 'relation' AS kind, c.oid::regclass::text AS name,
           pg_get_userbyid(c.relowner) AS owner, 'pg_class'::regclass AS catalog, c.oid
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'type', t.oid::regtype::text, pg_get_userbyid(t.typowner), 'pg_type'::regclass, t.oid
    FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
    UNION ALL
    SELECT 'function', p.oid::regprocedure::text, pg_get_userbyid(p.proowner),
           'pg_proc'::regclass, p.oid
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
) AS object
WHERE owner <> 'provisioner' AND NOT EXISTS (
    SELECT 1 FROM pg_depend e WHERE e.classid = object.catalog AND e.objid = object.oid
    AND e.deptype = 'e')
"""


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedServers]:
    data_dir = Path(tempfile.mkdtemp(prefix="provisioner-control-role-"))
    data_dir.chmod(0o755)
    try:
        with embedded_servers(data_dir, fast=True) as servers:
            yield servers
    finally:
        if (data_dir / "postgres").is_symlink():
            shutil.rmtree((data_dir / "postgres").resolve().parent, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def _superuser_to(
    servers: EmbeddedServers, database: str
) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(servers.admin_url.rsplit("/", 1)[0] + f"/{database}", autocommit=True)


def test_the_control_role_is_no_superuser_and_its_secrets_are_private(
    embedded: EmbeddedServers,
) -> None:
    with psycopg.connect(embedded.database_url) as connection:
        row = connection.execute(
            "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole "
            "FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert row == ("provisioner", False, False, False)
    for name in ("control-role.password", "postgres.password", "tenant-postgres.password"):
        assert (embedded.data_dir / name).stat().st_mode & 0o777 == 0o600
    control_port = psycopg.conninfo.conninfo_to_dict(embedded.database_url)["port"]
    assert psycopg.conninfo.conninfo_to_dict(embedded.tenant_url)["port"] != control_port


def test_a_data_dir_of_an_earlier_version_is_handed_to_the_control_role_on_start(
    embedded: EmbeddedServers,
) -> None:
    # What an earlier version left: the database, its schema and every object the superuser's.
    with _superuser_to(embedded, "postgres") as connection:
        connection.execute("ALTER DATABASE provisioner OWNER TO postgres")
    with _superuser_to(embedded, "provisioner") as connection:
        connection.execute("ALTER SCHEMA public OWNER TO postgres")
    upgrade_to_head(embedded.admin_url.rsplit("/", 1)[0] + "/provisioner")
    with _superuser_to(embedded, "provisioner") as connection:
        connection.execute("CREATE SEQUENCE loose_numbers")
        connection.execute("CREATE TYPE mood AS ENUM ('calm')")
        connection.execute("CREATE VIEW account_names AS SELECT name FROM accounts")
        assert len(connection.execute(NOT_OURS).fetchall()) > 10

    embedded.stop_server("postgresql")
    embedded.start("postgresql")

    with _superuser_to(embedded, "provisioner") as connection:
        assert connection.execute(NOT_OURS).fetchall() == []
        owner = connection.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'provisioner'"
        ).fetchone()
        assert owner == ("provisioner",)
    with psycopg.connect(embedded.database_url, autocommit=True) as connection:
        # What later migrations do, as the control role: change tables, types and functions.
        connection.execute("ALTER TABLE accounts ADD COLUMN scratch integer")
        connection.execute("ALTER TABLE accounts DROP COLUMN scratch")
        connection.execute("ALTER TYPE mood ADD VALUE 'glad'")
        connection.execute("SELECT nextval('loose_numbers')")
        connection.execute("DROP VIEW account_names")
        connection.execute(
            "CREATE OR REPLACE FUNCTION provisioner_probe() RETURNS int AS 'SELECT 1' LANGUAGE sql"
        )
    upgrade_to_head(embedded.database_url)


def test_a_superuser_database_url_is_warned_about(
    embedded: EmbeddedServers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING")
    warn_if_superuser(embedded.database_url)
    assert "control_role.superuser" not in caplog.text
    warn_if_superuser(embedded.tenant_url)
    assert "control_role.superuser" in caplog.text
