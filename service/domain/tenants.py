"""Where an account lives on the tenant cluster: database and role names, connection URLs.

Names derive from the account's locator, which is unique across organizations, so they never
collide on the cluster: database `acct_<locator>`, administrator role
`acct_<locator>_<admin_name>` (lower case, cut to PostgreSQL's 63-byte identifier limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

MAX_IDENTIFIER_BYTES = 63
PREFIX = "acct_"
# An account's login may log in and nothing else, whatever the cluster's defaults. INHERIT: the
# login is a member of no role but its own database's `pg_database_owner`, and on PostgreSQL 15
# it needs that membership inherited to create tables in `public` (NOINHERIT refused it there).
LOGIN_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"


@dataclass(frozen=True)
class TenantNames:
    database: str
    role: str


def tenant_names(locator: str, admin_name: str) -> TenantNames:
    database = f"{PREFIX}{locator.lower()}"
    role = f"{database}_{admin_name.lower()}"[:MAX_IDENTIFIER_BYTES]
    return TenantNames(database=database, role=role)


def connection_url(role: str, host: str, port: int, database: str) -> str:
    """The URL a SQL client uses (no password)."""
    return f"postgresql://{quote(role, safe='')}@{host}:{port}/{quote(database, safe='')}"
