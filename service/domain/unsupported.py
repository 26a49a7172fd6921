"""Snowflake's create fields the tenant clusters cannot honour, and the values accepted for each."""

from __future__ import annotations

from typing import Any

# Snowflake's create fields the tenant clusters cannot honour: accepted only with the value
# that means what the service does anyway (clients send them so), else a 400 saying why.
UNSUPPORTED_VALUES: dict[str, tuple[dict[str, Any], str]] = {
    "admin_rsa_public_key": (
        {"type": "null"},
        "key-pair authentication is not supported: the administrator logs in with a password; "
        "leave it out or send null",
    ),
    "admin_user_type": (
        {"anyOf": [{"type": "null"}, {"type": "string", "pattern": "^[Pp][Ee][Rr][Ss][Oo][Nn]$"}]},
        "only PERSON (a login with a password, what the service creates) is supported; "
        "leave it out or send null or PERSON",
    ),
    "must_change_password": (
        {"type": "boolean", "const": False},
        "true is not supported: the tenant's login cannot be made to change its password at "
        "the first login; send false or leave it out",
    ),
    "polaris": (
        {"type": "boolean", "const": False},
        "true is not supported: the service creates no Polaris (Open Catalog) accounts; send "
        "false or leave it out",
    ),
}
