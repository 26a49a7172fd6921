"""`PATCH /api/v2/accounts/{name}`: a JSON merge patch of the fields an update may change."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
)

from service.domain.errors import InvalidArgument
from service.domain.names import IDENTIFIER_RULE, is_identifier
from service.domain.schemas import (
    IDENTIFIER_SCHEMA,
    MAX_COMMENT,
    READ_ONLY_FIELDS,
    WRITE_ONLY_FIELDS,
    Edition,
    drop_null,
    validated,
)

# Set once, on create: a patch naming them is refused like a read-only field.
FIXED_FIELDS: frozenset[str] = frozenset({"region", "region_group"})
MAX_EXTERNAL_ID = 255
# `null` clears these; the other fields cannot be null.
CLEARABLE_FIELDS: frozenset[str] = frozenset({"comment", "external_id"})


def _patch_schema(schema: dict[str, Any]) -> None:
    for key, prop in schema["properties"].items():
        prop.pop("default", None)
        if key not in CLEARABLE_FIELDS:
            drop_null(prop)
    schema["minProperties"] = 1


class AccountPatch(BaseModel):
    """A JSON merge patch: only the keys present change. Read-only, write-only, unknown or
    null-for-non-nullable keys, and an empty patch, are a 400 naming them."""

    # Every field optional; `null` clears `comment` and `external_id` (merge-patch).
    model_config = ConfigDict(extra="forbid", json_schema_extra=_patch_schema)

    name: StrictStr | None = Field(
        default=None, description="A new name (a rename).", json_schema_extra=IDENTIFIER_SCHEMA
    )
    comment: StrictStr | None = Field(
        default=None, max_length=MAX_COMMENT, description="A new comment; null clears it."
    )
    edition: Edition | None = Field(
        default=None, description="A new edition (plan); case-insensitive."
    )
    enabled: StrictBool | None = Field(
        default=None, description="`false` suspends logins; `true` resumes."
    )
    deletion_protection: StrictBool | None = Field(
        default=None, description="While `true`, a drop is 409."
    )
    external_id: StrictStr | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_EXTERNAL_ID,
        description="A new external id; null clears it.",
    )

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        if value is not None and not is_identifier(value):
            raise ValueError(IDENTIFIER_RULE)
        return value.upper() if value is not None else None

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def parse(cls, body: object) -> dict[str, Any]:
        """The changes a patch asks for (keys present in the body only); InvalidArgument
        names every field it cannot take."""
        if not isinstance(body, dict):
            raise InvalidArgument("request body must be a JSON object (a merge patch of Account)")
        if not body:
            raise InvalidArgument("an empty patch changes nothing; name at least one field")
        problems = [_refusal(key) for key in body if _refusal(key)]
        allowed = {k: v for k, v in body.items() if not _refusal(k)}
        for key in [name for name in cls.model_fields if name not in CLEARABLE_FIELDS]:
            if key in allowed and allowed[key] is None:
                problems.append(f"{key}: cannot be null")
        model = validated(cls, allowed, problems, "patch")
        return model.model_dump(mode="json", include=set(allowed))


def _refusal(key: str) -> str:
    if key in AccountPatch.model_fields:
        return ""
    if key in READ_ONLY_FIELDS or key in FIXED_FIELDS:
        return f"{key}: is read-only and cannot be changed"
    if key in WRITE_ONLY_FIELDS:
        return f"{key}: is write-only, set on create; it cannot be changed by a patch"
    return ""
