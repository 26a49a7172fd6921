"""An account as the contract's Account object: the view model is the shape and renders it."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm.attributes import instance_dict

from service.domain.lifecycle import AccountState
from service.domain.names import MAX_NAME_LENGTH, STORED_NAME_PATTERN
from service.domain.plans import PlanLimits
from service.domain.schemas import NULLABLE_FIELDS, READ_ONLY_FIELDS, Edition, drop_null
from service.domain.usage import UsageSeen
from service.store.models import Account
from service.web.wire import Timestamp


def _optional(description: str, **options: Any) -> Any:
    """A field that may have no value: omitted then, or `null` if one of NULLABLE_FIELDS."""
    return Field(None, description=description, **options)


def _required(description: str, **document: Any) -> Any:
    """A field that always has a value; `document`: JSON Schema keywords for the document."""
    return Field(description=description, json_schema_extra=document or None)


def _wire_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """On the wire a field without a value is absent, never null, but for the five nullable
    ones, which are always there. The read-only fields are the domain's READ_ONLY_FIELDS."""
    required = []
    for name, field in model.model_fields.items():
        prop = schema["properties"][name]
        prop.pop("default", None)
        if name in READ_ONLY_FIELDS:
            prop["readOnly"] = True
        if field.is_required() or name in NULLABLE_FIELDS:
            required.append(name)
        else:
            drop_null(prop)
    schema["required"] = required
    schema["additionalProperties"] = False


def _all_read_only(schema: dict[str, Any]) -> None:
    for prop in schema["properties"].values():
        prop["readOnly"] = True


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

    model_config = ConfigDict(json_schema_extra=_all_read_only)

    admin_name: str | None = _optional("The administrator's login name.")
    email: str | None = _optional("The administrator's e-mail address.")
    first_name: str | None = _optional("The administrator's first name.")
    last_name: str | None = _optional("The administrator's last name.")


class AccountView(BaseModel):
    """An account as returned: field names, types and nullability as in Snowflake's Account. A
    field with no value is omitted, except the five Snowflake marks nullable (`dropped_on`,
    `scheduled_deletion_time`, `restored_on`, `organization_URL_expiration_on`, `moved_on`),
    which are `null`. The write-only fields of `AccountCreate` are never returned."""

    # Validated from the row's loaded columns; the ones that are not on the wire are ignored.
    model_config = ConfigDict(title="Account", extra="ignore", json_schema_extra=_wire_schema)

    organization_name: str = _required("Name of the organization.")
    name: str = Field(
        description="The account's name (upper case).",
        max_length=MAX_NAME_LENGTH,
        pattern=STORED_NAME_PATTERN,
    )
    id: uuid.UUID = Field(
        validation_alias="public_id",
        description="The account's immutable id (our extension): a rename keeps it; address the "
        "account as `id:<id>` in any `/api/v2/accounts/{name}` path.",
    )
    region_group: str | None = _optional("Region group where the account is located.")
    region: str | None = _optional("Region where the account is located.")
    edition: Edition = _required("Edition (plan).")
    created_on: Timestamp | None = _optional("When the account was created.")
    updated_on: Timestamp | None = _optional("When the account's row last changed (our extension).")
    account_url: str | None = _optional("URL of the account (set once it is created).")
    account_locator: str = _required("System-assigned, unique identifier, e.g. `AB123456`.")
    account_locator_url: str | None = _optional("URL of the account by its locator.")
    managed_accounts: int = _required(
        "How many managed accounts the account has created.", format="int64"
    )
    consumption_billing_entity_name: str | None = _optional("Consumption billing entity.")
    marketplace_consumer_billing_entity_name: str | None = _optional(
        "Marketplace consumer billing entity."
    )
    marketplace_provider_billing_entity_name: str | None = _optional(
        "Marketplace provider billing entity."
    )
    old_account_url: str | None = _optional("The URL before the last rename.")
    comment: str | None = _optional("Comment.")
    is_org_admin: bool = _required("Whether the ORGADMIN role is enabled.")
    retention_time: int = _required("Days of Time Travel retention.")
    account_old_url_saved_on: Timestamp | None = _optional("When `old_account_url` was saved.")
    account_old_url_last_used: Timestamp | None = _optional("When `old_account_url` was last used.")
    organization_old_url: str | None = _optional("URL before an organization change.")
    organization_old_url_saved_on: Timestamp | None = _optional(
        "When `organization_old_url` was saved."
    )
    organization_old_url_last_used: Timestamp | None = _optional(
        "When `organization_old_url` was last used."
    )
    is_events_account: bool = _required("Whether it is an events account.")
    moved_to_organization: str | None = _optional("The organization it moved to.")
    state: AccountState = _required(
        "Lifecycle state (our extension): CREATING → ACTIVE → DROPPING → DROPPED → "
        "(UNDROPPING → ACTIVE) | PURGING."
    )
    enabled: bool = _required("`false`: logins suspended (set by an update).")
    deletion_protection: bool = _required("While `true`, a drop is refused (409).")
    external_id: str | None = _optional(
        "Your id for the account, unique in the organization; omitted when unset.",
        min_length=1,
        max_length=255,
    )
    owner: OwnerView | None = _optional(
        "The owner contact given at create (our extension): shown to admin and operator tokens "
        "only, never to viewers; Snowflake's write-only fields are never returned under their own "
        "names."
    )
    usage: UsageView | None = _optional(
        "Last measured usage (our extension); omitted until the usage scan has measured it."
    )
    limits: LimitsView | None = _optional("The edition's limits (our extension).")
    over_limit: OverLimitView | None = _optional(
        "Present while the account is over its storage limit (our extension)."
    )
    suspended_reason: str | None = _optional(
        "Why its logins are suspended when the service suspended them (our extension), e.g. "
        "`storage_limit`; omitted while `enabled` is true."
    )
    cluster: str | None = _optional(
        "The tenant cluster holding the account (our extension); shown to admins only."
    )
    dropped_on: Timestamp | None = _optional("When the account was dropped (null unless dropped).")
    scheduled_deletion_time: Timestamp | None = _optional("When a dropped account will be purged.")
    restored_on: Timestamp | None = _optional("When the account was last undropped.")
    # Snowflake's field name; the column is snake case.
    organization_URL_expiration_on: Timestamp | None = _optional(  # noqa: N815
        "When `organization_old_url` expires.", validation_alias="organization_url_expiration_on"
    )
    moved_on: Timestamp | None = _optional("When the account moved to another organization.")


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
