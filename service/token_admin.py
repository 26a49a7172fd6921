"""Tokens as an API: issue, list and revoke the organization's tokens (role admin)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import InvalidArgument, NotFound
from service.identifiers import parse_uuid
from service.models import ApiToken
from service.roles import Role
from service.tokens import Principal, generate_token, hash_token


class TokenRequest(BaseModel):
    """The body of `POST /api/v2/tokens`."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    description: str = Field(default="", max_length=200)
    expiry: datetime | None = Field(default=None, exclude=True)  # expires_at, parsed
    expires_at: str | None = None

    @classmethod
    def parse(cls, body: object) -> TokenRequest:
        if not isinstance(body, dict):
            raise InvalidArgument("request body must be a JSON object")
        try:
            request = cls.model_validate(body)
        except ValidationError as exc:
            problems = [
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            ]
            raise InvalidArgument("invalid token request: " + "; ".join(problems)) from None
        if request.expires_at is not None:
            request.expiry = _future_moment(request.expires_at)
        return request


def _future_moment(value: str) -> datetime:
    problem = "expires_at: must be a future RFC 3339 time with an offset"
    try:
        moment = datetime.fromisoformat(value) if "T" in value else None
        if moment is None or moment.tzinfo is None or moment.astimezone(UTC) <= datetime.now(UTC):
            raise InvalidArgument(problem)
    except (ValueError, OverflowError):
        raise InvalidArgument(problem) from None
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class IssuedToken:
    record: ApiToken
    token: str


def render_token(record: ApiToken) -> dict[str, Any]:
    """A token's record, never its secret."""

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": str(record.id),
        "role": record.role.value,
        "description": record.description,
        "created_on": moment(record.created_at),
        "expires_at": moment(record.expires_at),
        "revoked_on": moment(record.revoked_at),
    }


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
