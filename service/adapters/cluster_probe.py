"""Checking a would-be tenant cluster from the API without blocking the loop (asyncpg): it
answers, it is PostgreSQL 14 or newer, and the URL's role may provision and harden it. The
URL is never put in a message or a log line."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg

from service.domain.clusters import rights_problem, version_problem
from service.domain.errors import InvalidArgument

CONNECT_TIMEOUT_SECONDS = 5.0
_SCHEMES = frozenset({"postgresql", "postgres"})
_RIGHTS = "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"


@dataclass(frozen=True)
class Where:
    """The host and port the URL names (the default public address)."""

    host: str | None
    port: int


def parse_url(url: str) -> Where:
    """The URL's host and port; InvalidArgument (naming no part of it) when it is no
    PostgreSQL URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        raise InvalidArgument("url: is not a valid postgresql:// URL") from None
    if parts.scheme not in _SCHEMES:
        raise InvalidArgument("url: must start with postgresql:// (a superuser's URL)")
    return Where(parts.hostname, port)


async def probe_cluster(url: str) -> None:
    """InvalidArgument saying what is wrong when the cluster cannot be a tenant cluster."""
    try:
        connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError):
        raise InvalidArgument("url: the cluster could not be reached") from None
    except asyncpg.InvalidAuthorizationSpecificationError:
        raise InvalidArgument("url: the cluster refused the login (user or password)") from None
    except Exception as exc:  # any other failure, whose text may hold the URL
        code = getattr(exc, "sqlstate", None) or "none"
        raise InvalidArgument(
            f"url: the cluster refused the connection (SQLSTATE {code})"
        ) from None
    try:
        version = connection.get_server_version()
        number = version.major * 10000 + version.minor
        problem = version_problem(number)
        if problem is None:
            row = await connection.fetchrow(_RIGHTS)
            superuser, createrole, createdb = (row[0], row[1], row[2]) if row else (False,) * 3
            problem = rights_problem(bool(superuser), bool(createrole), bool(createdb))
    finally:
        await connection.close()
    if problem is not None:
        raise InvalidArgument(f"url: {problem}")
