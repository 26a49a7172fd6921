"""What each token role may do: viewer reads, operator reads and mutates, admin does everything."""

from __future__ import annotations

import pytest

from service.domain.roles import Permission, Role, allows

P = Permission


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.VIEWER, P.READ_ACCOUNTS, True),
        (Role.VIEWER, P.MUTATE_ACCOUNTS, False),
        (Role.VIEWER, P.MANAGE_TOKENS, False),
        (Role.OPERATOR, P.READ_ACCOUNTS, True),
        (Role.OPERATOR, P.MUTATE_ACCOUNTS, True),
        (Role.OPERATOR, P.MANAGE_TOKENS, False),
        (Role.ADMIN, P.READ_ACCOUNTS, True),
        (Role.ADMIN, P.MUTATE_ACCOUNTS, True),
        (Role.ADMIN, P.MANAGE_TOKENS, True),
    ],
)
def test_each_role_is_allowed_exactly_its_permissions(
    role: Role, permission: Permission, allowed: bool
) -> None:
    assert allows(role, permission) is allowed


def test_the_roles_are_the_three_the_contract_names() -> None:
    assert {r.value for r in Role} == {"admin", "operator", "viewer"}
