"""A token as the tokens resource shows it (never its secret, except once when it is made)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from service.domain.roles import Role
from service.store.models import ApiToken
from service.web.wire import TimestampText, moment

MAX_DESCRIPTION = 200


@with_config(ConfigDict(extra="forbid", title="Token"))
class TokenView(TypedDict):
    """A token's record."""

    id: Annotated[str, Field(json_schema_extra={"format": "uuid"})]
    role: Role
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)]
    created_on: TimestampText
    expires_at: TimestampText | None
    revoked_on: TimestampText | None


@with_config(ConfigDict(extra="forbid", title="NewToken"))
class NewTokenView(TokenView):
    """A token just made, with its secret."""

    token: Annotated[str, Field(description="The secret, shown once.")]


@with_config(ConfigDict(extra="forbid", title="RevokedToken"))
class RevokedTokenView(TokenView):
    """A token just revoked."""

    status: Literal["token revoked"]


def render_token(record: ApiToken) -> TokenView:
    """A token's record, never its secret."""
    return {
        "id": str(record.id),
        "role": record.role,
        "description": record.description,
        "created_on": record.created_at.isoformat(),
        "expires_at": moment(record.expires_at),
        "revoked_on": moment(record.revoked_at),
    }


def render_new_token(record: ApiToken, token: str) -> NewTokenView:
    return {**render_token(record), "token": token}


def render_revoked_token(record: ApiToken) -> RevokedTokenView:
    return {"status": "token revoked", **render_token(record)}
