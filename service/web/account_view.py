"""An account as the contract's Account object: the view model is the shape and renders it."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from sqlalchemy.orm.attributes import instance_dict

from service.domain.lifecycle import AccountState
from service.domain.names import MAX_NAME_LENGTH, STORED_NAME_PATTERN
from service.domain.plans import PlanLimits
from service.domain.schemas import NULLABLE_FIELDS, Edition, drop_null
from service.domain.usage import UsageSeen
from service.store.models import Account
from service.web.wire import Timestamp

READ_ONLY: JsonDict = {"readOnly": True}


def _omitted_when_empty(description: str, *, read_only: bool = True, **constraints: Any) -> Any:
    """A field the contract omits when it has no value."""
    return Field(
        default=None,
        description=description,
        json_schema_extra=READ_ONLY if read_only else None,
        **constraints,
    )


def _null_when_empty(description: str, **alias: Any) -> Any:
    """One of NULLABLE_FIELDS, the five Snowflake's spec marks nullable: `null` when empty."""
    return Field(default=None, description=description, json_schema_extra=READ_ONLY, **alias)


def _always(description: str, *, read_only: bool = True, **extra: Any) -> Any:
    return Field(
        description=description,
        json_schema_extra={**extra, **READ_ONLY} if read_only else extra or None,
    )


def _wire_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """On the wire a field without a value is absent, never null, but for the five nullable
    ones, which are always there."""
    required = []
    for name, field in model.model_fields.items():
        prop = schema["properties"][name]
        prop.pop("default", None)
        if field.is_required() or name in NULLABLE_FIELDS:
            required.append(name)
        else:
            drop_null(prop)
    schema["required"] = required
    schema["additionalProperties"] = False


class _Extension(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UsageView(_Extension):
    """What the account used when the usage scan last measured it (our extension)."""

    storage_bytes: int = Field(ge=0, description="Bytes its database holds.")
    connections: int = Field(ge=0, description="Sessions open on its database.")
    measured_on: Timestamp = Field(description="When the scan measured it.")


class LimitsView(_Extension):
    """The limits of the account's edition (our extension; `GET /api/v2/editions`)."""

    connections: int = Field(ge=0, description="Connections its login may hold at once.")
    storage_bytes: int = Field(ge=0, description="Bytes its database may hold.")


class OverLimitView(_Extension):
    """Why the account is over its plan, and since when (our extension)."""

    reason: str = Field(description="E.g. `storage 1.3 GiB is over the STANDARD plan's 1 GiB`.")
    since: Timestamp = Field(description="The scan that first saw it over.")


class OwnerView(_Extension):
    """The owner contact given at create (our extension; admin and operator tokens only)."""

    admin_name: str | None = _omitted_when_empty("The administrator's login name.")
    email: str | None = _omitted_when_empty("The administrator's e-mail address.")
    first_name: str | None = _omitted_when_empty("The administrator's first name.")
    last_name: str | None = _omitted_when_empty("The administrator's last name.")


class AccountView(BaseModel):
    """An account as returned: field names, types and nullability as in Snowflake's Account. A
    field with no value is omitted, except the five Snowflake marks nullable (`dropped_on`,
    `scheduled_deletion_time`, `restored_on`, `organization_URL_expiration_on`, `moved_on`),
    which are `null`. The write-only fields of `AccountCreate` are never returned."""

    # Validated from the row's loaded columns; the ones that are not on the wire are ignored.
    model_config = ConfigDict(title="Account", extra="ignore", json_schema_extra=_wire_schema)

    organization_name: str = _always("Name of the organization.")
    name: str = Field(
        description="The account's name (upper case).",
        max_length=MAX_NAME_LENGTH,
        pattern=STORED_NAME_PATTERN,
    )
    id: uuid.UUID = Field(
        validation_alias="public_id",
        description="The account's immutable id (our extension): a rename keeps it; address the "
        "account as `id:<id>` in any `/api/v2/accounts/{name}` path.",
        json_schema_extra=READ_ONLY,
    )
    region_group: str | None = _omitted_when_empty(
        "Region group where the account is located.", read_only=False
    )
    region: str | None = _omitted_when_empty(
        "Region where the account is located.", read_only=False
    )
    edition: Edition = _always("Edition (plan).", read_only=False)
    created_on: Timestamp | None = _omitted_when_empty("When the account was created.")
    updated_on: Timestamp | None = _omitted_when_empty(
        "When the account's row last changed (our extension)."
    )
    account_url: str | None = _omitted_when_empty("URL of the account (set once it is created).")
    account_locator: str = _always("System-assigned, unique identifier, e.g. `AB123456`.")
    account_locator_url: str | None = _omitted_when_empty("URL of the account by its locator.")
    managed_accounts: int = _always(
        "How many managed accounts the account has created.", format="int64"
    )
    consumption_billing_entity_name: str | None = _omitted_when_empty("Consumption billing entity.")
    marketplace_consumer_billing_entity_name: str | None = _omitted_when_empty(
        "Marketplace consumer billing entity."
    )
    marketplace_provider_billing_entity_name: str | None = _omitted_when_empty(
        "Marketplace provider billing entity."
    )
    old_account_url: str | None = _omitted_when_empty("The URL before the last rename.")
    comment: str | None = _omitted_when_empty("Comment.", read_only=False)
    is_org_admin: bool = _always("Whether the ORGADMIN role is enabled.")
    retention_time: int = _always("Days of Time Travel retention.")
    account_old_url_saved_on: Timestamp | None = _omitted_when_empty(
        "When `old_account_url` was saved."
    )
    account_old_url_last_used: Timestamp | None = _omitted_when_empty(
        "When `old_account_url` was last used."
    )
    organization_old_url: str | None = _omitted_when_empty("URL before an organization change.")
    organization_old_url_saved_on: Timestamp | None = _omitted_when_empty(
        "When `organization_old_url` was saved."
    )
    organization_old_url_last_used: Timestamp | None = _omitted_when_empty(
        "When `organization_old_url` was last used."
    )
    is_events_account: bool = _always("Whether it is an events account.")
    moved_to_organization: str | None = _omitted_when_empty("The organization it moved to.")
    state: AccountState = _always(
        "Lifecycle state (our extension): CREATING → ACTIVE → DROPPING → DROPPED → "
        "(UNDROPPING → ACTIVE) | PURGING."
    )
    enabled: bool = _always("`false`: logins suspended (set by an update).")
    deletion_protection: bool = _always("While `true`, a drop is refused (409).", read_only=False)
    external_id: str | None = _omitted_when_empty(
        "Your id for the account, unique in the organization; omitted when unset.",
        read_only=False,
        min_length=1,
        max_length=255,
    )
    owner: OwnerView | None = _omitted_when_empty(
        "The owner contact given at create (our extension): shown to admin and operator tokens "
        "only, never to viewers; Snowflake's write-only fields are never returned under their own "
        "names."
    )
    usage: UsageView | None = _omitted_when_empty(
        "Last measured usage (our extension); omitted until the usage scan has measured it."
    )
    limits: LimitsView | None = _omitted_when_empty("The edition's limits (our extension).")
    over_limit: OverLimitView | None = _omitted_when_empty(
        "Present while the account is over its storage limit (our extension)."
    )
    suspended_reason: str | None = _omitted_when_empty(
        "Why its logins are suspended when the service suspended them (our extension), e.g. "
        "`storage_limit`; omitted while `enabled` is true."
    )
    cluster: str | None = _omitted_when_empty(
        "The tenant cluster holding the account (our extension); shown to admins only."
    )
    dropped_on: Timestamp | None = _null_when_empty(
        "When the account was dropped (null unless dropped)."
    )
    scheduled_deletion_time: Timestamp | None = _null_when_empty(
        "When a dropped account will be purged."
    )
    restored_on: Timestamp | None = _null_when_empty("When the account was last undropped.")
    # Snowflake's field name; the column is snake case.
    organization_URL_expiration_on: Timestamp | None = _null_when_empty(  # noqa: N815
        "When `organization_old_url` expires.", validation_alias="organization_url_expiration_on"
    )
    moved_on: Timestamp | None = _null_when_empty("When the account moved to another organization.")


def _extensions(
    account: Account, usage: UsageSeen | None, limits: PlanLimits | None
) -> dict[str, Any]:
    """Our extensions' values: usage, limits, the over-limit flag, why it is suspended."""
    extra: dict[str, Any] = {}
    if limits is not None:
        extra["limits"] = {"connections": limits.connections, "storage_bytes": limits.storage_bytes}
    if usage is None:
        return extra
    extra["usage"] = {
        "storage_bytes": usage.storage_bytes,
        "connections": usage.connections,
        "measured_on": usage.measured_on,
    }
    if usage.over_limit is not None and usage.over_limit_since is not None:
        extra["over_limit"] = {"reason": usage.over_limit, "since": usage.over_limit_since}
    if not account.enabled and usage.suspended_reason is not None:
        extra["suspended_reason"] = usage.suspended_reason
    return extra


def _owner(account: Account) -> dict[str, Any]:
    contact = {
        "admin_name": account.admin_name,
        "email": account.owner_email,
        "first_name": account.owner_first_name,
        "last_name": account.owner_last_name,
    }
    # Accounts created before the contact was kept have none.
    return {"owner": contact} if any(value is not None for value in contact.values()) else {}


def render_account(
    account: Account,
    organization_name: str,
    *,
    usage: UsageSeen | None = None,
    limits: PlanLimits | None = None,
    owner: bool = False,
    show_cluster: bool = False,
) -> dict[str, Any]:
    """An account as the contract's Account object (fields without a value omitted), with its
    last measured usage and its edition's limits, with `owner` its owner contact, and with
    `show_cluster` its tenant cluster."""
    # The row's loaded columns as one dict: pydantic reads them in one pass, where reading each
    # ORM attribute cost more than the rest of the rendering did.
    columns = instance_dict(account)
    view: dict[str, Any] = AccountView.model_validate(
        {
            **columns,
            "organization_name": organization_name,
            **_extensions(account, usage, limits),
            **(_owner(account) if owner else {}),
        }
    ).model_dump(mode="json", exclude_none=True)
    if not show_cluster:
        view.pop("cluster", None)
    # Always there, null when empty, and last (where they always were on the wire).
    for key in NULLABLE_FIELDS:
        view[key] = view.pop(key, None)
    return view
