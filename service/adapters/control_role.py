"""The role the control plane reaches its database as: not a superuser, owner of all in it."""

from __future__ import annotations

import psycopg
import structlog
from psycopg import sql

from service.domain.passwords import scram_verifier
from service.store.db import with_driver

CONTROL_ROLE = "provisioner"
CONTROL_DATABASE = "provisioner"
CHECK_TIMEOUT_SECONDS = 5

log = structlog.get_logger(__name__)

# Everything in `public` an earlier version left owned by another role (the superuser), as the
# ALTER that hands it over. `REASSIGN OWNED BY postgres` is refused for the bootstrap superuser,
# so objects go one by one: tables and views (their indexes, row types and the sequences of
# their serial/identity columns follow), free sequences, enum and domain types, functions.
# Extension members (pg_trgm's functions) stay with the extension.
_NOT_OURS = """
SELECT format('ALTER %%s %%s OWNER TO %%I', kind, name, %(role)s::text) FROM (
    SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                          WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind,
           c.oid::regclass::text AS name, c.relowner AS owner, 'pg_class'::regclass AS catalog,
           c.oid, c.relkind = 'S' AS later
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    UNION ALL
    SELECT 'TYPE', t.oid::regtype::text, t.typowner, 'pg_type'::regclass, t.oid, false
    FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
           p.oid::regprocedure::text, p.proowner, 'pg_proc'::regclass, p.oid, false
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
) AS object
WHERE owner <> %(role)s::text::regrole
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = object.catalog
                  AND e.objid = object.oid AND e.deptype = 'e')
ORDER BY later, name
"""


def ensure_control_role(admin_url: str, password: str) -> None:
    """Create or update the control role and hand it the control database and all in it.

    `admin_url` is a superuser URL without a database; idempotent, a few ms when all is in order.
    """
    role, database = sql.Identifier(CONTROL_ROLE), sql.Identifier(CONTROL_DATABASE)
    attributes = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    # A pre-hashed verifier: the plaintext never reaches the server (nor its statement log).
    verifier = sql.Literal(scram_verifier(password))
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        known = connection.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (CONTROL_ROLE,)
        ).fetchone()
        verb = sql.SQL("ALTER" if known else "CREATE")
        connection.execute(
            sql.SQL("{} ROLE {} {} PASSWORD {}").format(verb, role, attributes, verifier)
        )
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (CONTROL_DATABASE,)
        ).fetchone()
        if exists:
            connection.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, role))
        else:
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, role))
        # Nothing but the control role's own database admits anyone but superusers.
        connection.execute(
            sql.SQL("REVOKE CONNECT ON DATABASE postgres, template1, {} FROM PUBLIC").format(
                database
            )
        )
    with psycopg.connect(f"{admin_url}/{CONTROL_DATABASE}", autocommit=True) as connection:
        connection.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(role))
        statements = connection.execute(_NOT_OURS, {"role": CONTROL_ROLE}).fetchall()
        for (statement,) in statements:
            connection.execute(statement)
    if statements:
        log.info("control_role.took_ownership", objects=len(statements))


def is_superuser(database_url: str) -> bool | None:
    """Whether `database_url` logs in as a superuser; None when the server does not answer."""
    dsn = with_driver(database_url, "postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn, connect_timeout=CHECK_TIMEOUT_SECONDS) as connection:
            row = connection.execute(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
    except psycopg.Error:
        return None  # the process itself reports an unreachable database, with more context
    return bool(row and row[0])


def warn_if_superuser(database_url: str) -> None:
    """One query at start: a control plane running as a superuser gets a warning in the log."""
    if is_superuser(database_url):
        log.warning(
            "control_role.superuser",
            hint="DATABASE_URL logs in as a superuser; give the control plane a role that owns "
            "its database and nothing more (docs/tenants.md, 'The control plane apart')",
        )
