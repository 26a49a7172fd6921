"""An account as the contract's Account object."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.store.models import Account


def _timestamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def render_account(account: Account, organization_name: str) -> dict[str, Any]:
    """An account as the contract's Account object (fields without a value omitted)."""
    view: dict[str, Any] = {
        "organization_name": organization_name,
        "name": account.name,
        "region_group": account.region_group,
        "region": account.region,
        "edition": account.edition,
        "created_on": _timestamp(account.created_on),
        "account_url": account.account_url,
        "account_locator": account.account_locator,
        "account_locator_url": account.account_locator_url,
        "managed_accounts": account.managed_accounts,
        "consumption_billing_entity_name": account.consumption_billing_entity_name,
        "marketplace_consumer_billing_entity_name": (
            account.marketplace_consumer_billing_entity_name
        ),
        "marketplace_provider_billing_entity_name": (
            account.marketplace_provider_billing_entity_name
        ),
        "old_account_url": account.old_account_url,
        "comment": account.comment,
        "is_org_admin": account.is_org_admin,
        "retention_time": account.retention_time,
        "account_old_url_saved_on": _timestamp(account.account_old_url_saved_on),
        "account_old_url_last_used": _timestamp(account.account_old_url_last_used),
        "organization_old_url": account.organization_old_url,
        "organization_old_url_saved_on": _timestamp(account.organization_old_url_saved_on),
        "organization_old_url_last_used": _timestamp(account.organization_old_url_last_used),
        "is_events_account": account.is_events_account,
        "moved_to_organization": account.moved_to_organization,
        "state": account.state.value,
        "enabled": account.enabled,
        "deletion_protection": account.deletion_protection,
        "external_id": account.external_id,
    }
    present = {key: value for key, value in view.items() if value is not None}
    present.update(
        dropped_on=_timestamp(account.dropped_on),
        scheduled_deletion_time=_timestamp(account.scheduled_deletion_time),
        restored_on=_timestamp(account.restored_on),
        organization_URL_expiration_on=_timestamp(account.organization_url_expiration_on),
        moved_on=_timestamp(account.moved_on),
    )
    return present
