"""API tokens as values: who a token stands for, how tokens look and are hashed, a token request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from service.domain.errors import InvalidArgument
from service.domain.roles import Role

TOKEN_PREFIX = "apv_"  # noqa: S105 - a public prefix, not a secret
# `provisioner up` keeps its development admin token in this file of the data folder.
DEV_TOKEN_FILE = "dev-admin.token"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token of one organization with one role."""

    token_id: str
    organization_id: int
    organization_name: str
    role: Role
    # The token's description, recorded on the operations it asks for (who asked).
    token_description: str = ""


def generate_token() -> str:
    # 256 bits of randomness: a fast hash is enough, no salt or KDF needed to store it.
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenRequest(BaseModel):
    """The body of `POST /api/v2/tokens`."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    description: str = Field(default="", max_length=200)
    # expires_at, parsed by `parse`; not a field of the body (a private attribute, so a body
    # key of this name is refused like any other unknown key).
    _expiry: datetime | None = PrivateAttr(default=None)
    expires_at: str | None = Field(
        default=None,
        description="A future RFC 3339 time with an offset.",
        json_schema_extra={"format": "date-time"},
    )

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
            request._expiry = _future_moment(request.expires_at)
        return request

    @property
    def expiry(self) -> datetime | None:
        return self._expiry


def _future_moment(value: str) -> datetime:
    problem = "expires_at: must be a future RFC 3339 time with an offset"
    try:
        moment = datetime.fromisoformat(value) if "T" in value else None
        if moment is None or moment.tzinfo is None or moment.astimezone(UTC) <= datetime.now(UTC):
            raise InvalidArgument(problem)
    except (ValueError, OverflowError):
        raise InvalidArgument(problem) from None
    return moment.astimezone(UTC)
