"""API tokens: issue, hash and verify them; a token is stored only as its SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
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


async def authenticate(session: AsyncSession, token: str) -> Principal | None:
    """The principal a token stands for, or None when it is unknown, revoked or expired."""
    row = (
        await session.execute(
            select(ApiToken.id, ApiToken.role, Organization.id, Organization.name)
            .join(Organization, Organization.id == ApiToken.organization_id)
            .where(
                ApiToken.token_hash == hash_token(token),
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > func.now()),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    token_id, role, organization_id, organization_name = row
    return Principal(str(token_id), organization_id, organization_name, role)
