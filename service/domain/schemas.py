"""Wire models exactly as the API contract says: the create body and the Account view."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from service.domain.errors import InvalidArgument
from service.domain.names import IDENTIFIER_RULE, is_identifier
from service.domain.passwords import password_problem


class Edition(StrEnum):
    STANDARD = "STANDARD"
    ENTERPRISE = "ENTERPRISE"
    BUSINESS_CRITICAL = "BUSINESS_CRITICAL"


# Returned by the service; a client may send them only as null (clients do), never with a value.
READ_ONLY_FIELDS: frozenset[str] = frozenset(
    {
        "organization_name",
        "created_on",
        "account_url",
        "account_locator",
        "account_locator_url",
        "managed_accounts",
        "consumption_billing_entity_name",
        "marketplace_consumer_billing_entity_name",
        "marketplace_provider_billing_entity_name",
        "old_account_url",
        "is_org_admin",
        "retention_time",
        "dropped_on",
        "scheduled_deletion_time",
        "restored_on",
        "account_old_url_saved_on",
        "account_old_url_last_used",
        "organization_old_url",
        "organization_old_url_saved_on",
        "organization_old_url_last_used",
        "organization_URL_expiration_on",
        "moved_on",
        "is_events_account",
        "moved_to_organization",
        "state",
        "enabled",
    }
)
# Accepted on create, never returned, logged or stored in clear text.
SECRET_FIELDS: frozenset[str] = frozenset({"admin_password"})
# Snowflake's spec marks these nullable; every other field with no value is omitted.
NULLABLE_FIELDS: tuple[str, ...] = (
    "dropped_on",
    "scheduled_deletion_time",
    "restored_on",
    "organization_URL_expiration_on",
    "moved_on",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_TEXT = 1024
MAX_COMMENT = 2048


class AccountCreate(BaseModel):
    """The body of `POST /api/v2/accounts`; validation context carries the allowed regions."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    name: StrictStr
    edition: Edition
    admin_name: StrictStr
    email: StrictStr = Field(max_length=254)
    admin_password: StrictStr | None = None  # length and classes: the password policy
    admin_rsa_public_key: StrictStr | None = Field(default=None, max_length=8192)
    admin_user_type: StrictStr | None = Field(default=None, max_length=64)
    first_name: StrictStr | None = Field(default=None, max_length=MAX_TEXT)
    last_name: StrictStr | None = Field(default=None, max_length=MAX_TEXT)
    must_change_password: StrictBool = False
    polaris: StrictBool = False
    comment: StrictStr | None = Field(default=None, max_length=MAX_COMMENT)
    region: StrictStr | None = None
    region_group: StrictStr | None = None
    deletion_protection: StrictBool = False
    external_id: StrictStr | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("name", "admin_name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not is_identifier(value):
            raise ValueError(IDENTIFIER_RULE)
        return value.upper()

    @field_validator("admin_password")
    @classmethod
    def _password_policy(cls, value: str | None) -> str | None:
        problem = None if value is None else password_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value):
            raise ValueError("must be an email address such as admin@example.com")
        return value

    @field_validator("region", "region_group")
    @classmethod
    def _known_region(cls, value: str | None, info: ValidationInfo) -> str | None:
        allowed: tuple[str, ...] = (info.context or {}).get(info.field_name, ())
        if value is not None and value.upper() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value.upper() if value is not None else None

    @classmethod
    def parse(
        cls, body: object, *, regions: tuple[str, ...], default_region: str, region_group: str
    ) -> AccountCreate:
        """Validate a decoded JSON body; InvalidArgument lists every invalid field."""
        if not isinstance(body, dict):
            raise InvalidArgument("request body must be a JSON object (an Account)")
        problems: list[str] = []
        fields: dict[str, Any] = {}
        for key, value in body.items():
            if key in READ_ONLY_FIELDS:
                if value is not None:
                    problems.append(f"{key}: is read-only and cannot be set")
            else:
                fields[key] = value
        try:
            model = cls.model_validate(
                fields, context={"region": regions, "region_group": (region_group,)}
            )
        except ValidationError as exc:
            problems.extend(describe_error(error) for error in exc.errors(include_url=False))
            model = None
        if problems or model is None:
            raise InvalidArgument("invalid account: " + "; ".join(problems))
        return model.model_copy(
            update={
                "region": model.region or default_region,
                "region_group": model.region_group or region_group,
            }
        )

    def redacted(self) -> dict[str, Any]:
        """The request as recorded on the operation row: secrets removed."""
        return self.model_dump(mode="json", exclude=set(SECRET_FIELDS), exclude_none=True)


def describe_error(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "body"
    kind = error["type"]
    if kind == "missing":
        return f"{field}: is required"
    if kind == "extra_forbidden":
        return f"{field}: is not a field of Account"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}"
