"""Tokens as an API: issue, list and revoke the organization's tokens (role admin)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import NotFound
from service.domain.identifiers import parse_uuid
from service.domain.tokens import Principal, TokenRequest, generate_token, hash_token
from service.store.models import ApiToken


@dataclass(frozen=True)
class IssuedToken:
    record: ApiToken
    token: str


async def issue(session: AsyncSession, principal: Principal, request: TokenRequest) -> IssuedToken:
    token = generate_token()
    record = ApiToken(
        id=uuid.uuid4(),
        organization_id=principal.organization_id,
        token_hash=hash_token(token),
        role=request.role,
        description=request.description,
        expires_at=request.expiry,
    )
    session.add(record)
    await session.flush()
    await session.refresh(record)
    return IssuedToken(record, token)


async def list_tokens(
    session: AsyncSession, principal: Principal, *, include_revoked: bool
) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.organization_id == principal.organization_id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return (await session.scalars(query.order_by(ApiToken.created_at))).all()


async def revoke(session: AsyncSession, principal: Principal, token_id: str) -> ApiToken:
    wanted = parse_uuid(token_id)
    record = None
    if wanted is not None:
        record = await session.scalar(
            select(ApiToken)
            .where(ApiToken.id == wanted, ApiToken.organization_id == principal.organization_id)
            .with_for_update()
        )
    if record is None:
        raise NotFound(f"token {token_id} does not exist")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
    return record
