"""Looking at the tenant cluster directly: logins, databases, roles."""

from __future__ import annotations

from typing import Any

import psycopg

from service.settings import Settings


def login(credentials: dict[str, Any], password: str) -> psycopg.Connection[tuple[Any, ...]]:
    """A session as the account's administrator, with the handed-over credentials."""
    return psycopg.connect(
        credentials["url"], password=password, connect_timeout=5, autocommit=True
    )


def superuser(settings: Settings) -> psycopg.Connection[tuple[Any, ...]]:
    url = settings.tenant_url()
    assert url is not None
    return psycopg.connect(url, autocommit=True)


def database_exists(settings: Settings, name: str) -> bool:
    with superuser(settings) as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def role_exists(settings: Settings, name: str) -> bool:
    with superuser(settings) as connection:
        row = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    return row is not None
