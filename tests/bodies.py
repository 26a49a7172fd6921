"""The account create body that Snowflake's clients send, for unit and integration tests."""

from __future__ import annotations

from typing import Any


def snowflake_create_body(name: str, **fields: Any) -> dict[str, Any]:
    """A create body the way Snowflake's clients send it (write-only flags, null read-only keys)."""
    body: dict[str, Any] = {
        "name": name,
        "admin_name": "admin",
        "admin_password": "Sup3r-secret-pw!",
        "email": "admin@example.com",
        "edition": "ENTERPRISE",
        "must_change_password": False,
        "polaris": False,
        "dropped_on": None,
        "scheduled_deletion_time": None,
        "restored_on": None,
        "organization_URL_expiration_on": None,
        "moved_on": None,
    }
    body.update(fields)
    return body
