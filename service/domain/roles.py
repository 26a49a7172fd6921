"""Token roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ_ACCOUNTS = "read_accounts"
    MUTATE_ACCOUNTS = "mutate_accounts"
    MANAGE_TOKENS = "manage_tokens"
    WATCH_QUEUES = "watch_queues"
    # Erase a dropped account before its grace period ends (admins only: it cannot be undone).
    PURGE_ACCOUNTS = "purge_accounts"
    # See an account's owner contact (admin_name, email, first and last name).
    READ_OWNERS = "read_owners"
    # Add, change and remove tenant clusters (admins of FLEET_ORGANIZATIONS only).
    MANAGE_CLUSTERS = "manage_clusters"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {
            Permission.READ_ACCOUNTS,
            Permission.MUTATE_ACCOUNTS,
            Permission.WATCH_QUEUES,
            Permission.READ_OWNERS,
        }
    ),
    Role.VIEWER: frozenset({Permission.READ_ACCOUNTS}),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]
