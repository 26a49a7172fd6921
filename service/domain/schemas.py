"""Wire models exactly as the API contract says: the create body and the Account view."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

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
from service.domain.names import IDENTIFIER_PATTERN, IDENTIFIER_RULE, MAX_NAME_LENGTH, is_identifier
from service.domain.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from service.domain.unsupported import UNSUPPORTED_VALUES

Model = TypeVar("Model", bound=BaseModel)


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
        # Ours, beside Snowflake's: a GET body sent back to create or patch is not refused for
        # them as unknown (null is ignored, a value is read-only).
        "id",
        "updated_on",
        "owner",
        "usage",
        "limits",
        "over_limit",
        "suspended_reason",
        "cluster",
    }
)
# Accepted on create, never returned (a patch cannot change them).
WRITE_ONLY_FIELDS: frozenset[str] = frozenset(
    {
        "admin_name",
        "admin_password",
        "admin_rsa_public_key",
        "admin_user_type",
        "first_name",
        "last_name",
        "email",
        "must_change_password",
        "polaris",
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
# For the document only: the rules themselves are the validators below.
IDENTIFIER_SCHEMA: dict[str, Any] = {"pattern": IDENTIFIER_PATTERN, "maxLength": MAX_NAME_LENGTH}
PASSWORD_SCHEMA: dict[str, Any] = {
    "format": "password",
    "minLength": MIN_PASSWORD_LENGTH,
    "maxLength": MAX_PASSWORD_LENGTH,
    "pattern": "^[!-~]+$",
}


def drop_null(schema: dict[str, Any]) -> None:
    """Make a property's JSON Schema refuse null (in place): the field is absent instead."""
    schema.pop("default", None)
    kinds = schema.get("type")
    if isinstance(kinds, list):
        rest = [kind for kind in kinds if kind != "null"]
        schema["type"] = rest[0] if len(rest) == 1 else rest
    elif "anyOf" in schema:
        options = [option for option in schema.pop("anyOf") if option != {"type": "null"}]
        if len(options) == 1:
            schema.update(options[0])
        else:
            schema["anyOf"] = options


def _create_schema(schema: dict[str, Any]) -> None:
    """Clients send some read-only keys as null: the document says they may. The fields the
    service cannot honour take only the values it accepts."""
    for key in WRITE_ONLY_FIELDS:
        schema["properties"][key]["writeOnly"] = True
    for key in sorted(READ_ONLY_FIELDS):
        schema["properties"][key] = {
            "type": "null",
            "description": "Read-only: accepted only as null.",
        }
    for key, (accepted, why) in UNSUPPORTED_VALUES.items():
        described = schema["properties"][key]
        schema["properties"][key] = {
            **accepted,
            "description": f"{described['description']} Any other value is a 400: {why}.",
            "writeOnly": True,
        }


class AccountCreate(BaseModel):
    """The body of a create: Snowflake's Account with its write-only fields. Read-only keys are
    accepted only as `null` (clients send some); any other key, or a read-only key with a value,
    is a 400 that names it."""

    # The validation context carries the allowed regions.

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=False, json_schema_extra=_create_schema
    )

    name: StrictStr = Field(
        description="A letter or `_`, then letters, digits, `_` or `$`; at most 255 characters; "
        "case-insensitive (stored upper case).",
        json_schema_extra=IDENTIFIER_SCHEMA,
    )
    edition: Edition = Field(description="Edition (plan); case-insensitive.")
    admin_name: StrictStr = Field(
        description="Name of the account administrator (an identifier, like `name`).",
        json_schema_extra=IDENTIFIER_SCHEMA,
    )
    email: StrictStr = Field(
        max_length=254, description="E-mail address of the account administrator."
    )
    # Length and classes: the password policy (service/domain/passwords.py).
    admin_password: StrictStr | None = Field(
        default=None,
        description="12-128 printable ASCII characters, no spaces, with a lower-case letter, an "
        "upper-case letter and a digit. Absent or null: one is generated and shown once in the "
        "result.",
        json_schema_extra=PASSWORD_SCHEMA,
    )
    admin_rsa_public_key: StrictStr | None = Field(
        default=None, description="RSA public key of the administrator."
    )
    admin_user_type: StrictStr | None = Field(
        default=None, description="User type of the administrator."
    )
    first_name: StrictStr | None = Field(
        default=None, max_length=MAX_TEXT, description="Administrator's first name."
    )
    last_name: StrictStr | None = Field(
        default=None, max_length=MAX_TEXT, description="Administrator's last name."
    )
    must_change_password: StrictBool = Field(
        default=False, description="Whether the administrator must change the password."
    )
    polaris: StrictBool = Field(
        default=False, description="Whether the account is a Polaris account."
    )
    comment: StrictStr | None = Field(default=None, max_length=MAX_COMMENT, description="Comment.")
    region: StrictStr | None = Field(
        default=None,
        description="A region of the service's tenant clusters (case-insensitive; `REGIONS` "
        "while none is registered); default `DEFAULT_REGION`.",
    )
    region_group: StrictStr | None = Field(
        default=None,
        description="The service's `REGION_GROUP` (case-insensitive), the default.",
    )
    deletion_protection: StrictBool = Field(
        default=False, description="While `true`, a drop is refused (409)."
    )
    external_id: StrictStr | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Your id for the account, unique in the organization.",
    )

    @field_validator("name", "admin_name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not is_identifier(value):
            raise ValueError(IDENTIFIER_RULE)
        return value.upper()

    @field_validator("admin_rsa_public_key", "must_change_password", "polaris")
    @classmethod
    def _not_supported(cls, value: object, info: ValidationInfo) -> object:
        if value:  # None or false: what the service does anyway
            raise ValueError(UNSUPPORTED_VALUES[str(info.field_name)][1])
        return value

    @field_validator("admin_user_type")
    @classmethod
    def _person_only(cls, value: str | None) -> str | None:
        if value is not None and value.upper() != "PERSON":
            raise ValueError(UNSUPPORTED_VALUES["admin_user_type"][1])
        return value.upper() if value is not None else None

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
        context = info.context or {}
        # A context without the field's list (None): any name; placement judges the region.
        allowed: tuple[str, ...] | None = context.get(info.field_name, ())
        if value is not None and allowed is not None and value.upper() not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value.upper() if value is not None else None

    @classmethod
    def parse(
        cls,
        body: object,
        *,
        regions: tuple[str, ...] | None,
        default_region: str,
        region_group: str,
    ) -> AccountCreate:
        """Validate a decoded JSON body; InvalidArgument lists every invalid field. With
        `regions` None any region passes here (the tenant cluster registry decides)."""
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
        context = {"region": regions, "region_group": (region_group,)}
        model = validated(cls, fields, problems, "account", context=context)
        return model._defaulted(default_region, region_group)

    @classmethod
    def parse_json(
        cls,
        raw: bytes,
        *,
        regions: tuple[str, ...] | None,
        default_region: str,
        region_group: str,
    ) -> AccountCreate | None:
        """`raw` validated straight from its bytes (no dict in between: half of `parse`'s time)
        when it is a valid create without read-only keys; None for anything else, which `parse`
        of the decoded body then accepts or describes as it always has."""
        try:
            model = cls.model_validate_json(
                raw, context={"region": regions, "region_group": (region_group,)}
            )
        except ValidationError:
            return None
        return model._defaulted(default_region, region_group)

    def _defaulted(self, default_region: str, region_group: str) -> AccountCreate:
        """With the service's region and region group where none was given (a model of our
        own, just validated: set in place)."""
        if self.region is None:
            self.region = default_region
        if self.region_group is None:
            self.region_group = region_group
        return self

    def redacted(self) -> dict[str, Any]:
        """The request as recorded on the operation row: secrets removed."""
        return self.model_dump(mode="json", exclude=set(SECRET_FIELDS), exclude_none=True)


def validated(
    model: type[Model],
    fields: dict[str, Any],
    problems: list[str],
    what: str,
    *,
    context: dict[str, Any] | None = None,
) -> Model:
    """`fields` as a `model`; else InvalidArgument naming every problem: those the caller found
    (`problems`) and the model's own."""
    try:
        found = model.model_validate(fields, context=context)
    except ValidationError as exc:
        problems = [*problems, *(describe_error(e) for e in exc.errors(include_url=False))]
    else:
        if not problems:
            return found
    raise InvalidArgument(f"invalid {what}: " + "; ".join(problems))


def describe_error(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "body"
    kind = error["type"]
    if kind == "missing":
        return f"{field}: is required"
    if kind == "extra_forbidden":
        return f"{field}: is not a field of Account"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}"
