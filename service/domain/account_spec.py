"""What a provisioning driver is told about the account it works on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AccountSpec:
    """What a driver needs to know about the account it works on."""

    organization_name: str
    name: str
    locator: str
    edition: str
    region: str
    tenant_database: str
    tenant_role: str
    request: dict[str, Any]
    # Set for create and rotate: the SCRAM verifier of the administrator's new password.
    password_verifier: str | None = None
    # false: the account's logins are suspended by an update (undrop must keep them so).
    enabled: bool = True
    # The tenant cluster the account lives on (None: not placed, the worker's own cluster).
    cluster: str | None = None
    # Called with a short description of each step ("creating database"), for followers.
    progress: Callable[[str], None] = field(default=lambda step: None, compare=False)
