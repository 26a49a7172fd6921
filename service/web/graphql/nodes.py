"""The account node: the fields of REST's Account object, its public id, and its operations."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from service.domain.errors import InvalidArgument
from service.domain.lifecycle import AccountState
from service.domain.roles import Permission, allows
from service.domain.schemas import Edition
from service.domain.usage import UsageSeen
from service.store.models import Account as AccountRow
from service.web.account_view import render_account
from service.web.graphql.context import Context
from service.web.graphql.types import (
    Limits,
    Operation,
    OverLimit,
    Owner,
    Usage,
    nested,
)
from service.web.keys import SETTINGS
from service.web.operation_view import render_operation

MAX_OPERATIONS = 50


@strawberry.type(
    name="Account", description="An account: the fields of REST's Account object, and `id`."
)
class AccountNode:
    id: strawberry.ID = strawberry.field(description="The immutable public id (a UUID).")
    organization_name: str
    name: str
    region_group: str | None
    region: str | None
    edition: Edition
    created_on: str | None
    updated_on: str | None = strawberry.field(description="When the account last changed.")
    account_url: str | None
    account_locator: str
    account_locator_url: str | None
    managed_accounts: int
    consumption_billing_entity_name: str | None
    marketplace_consumer_billing_entity_name: str | None
    marketplace_provider_billing_entity_name: str | None
    old_account_url: str | None
    comment: str | None
    is_org_admin: bool
    retention_time: int
    account_old_url_saved_on: str | None
    account_old_url_last_used: str | None
    organization_old_url: str | None
    organization_old_url_saved_on: str | None
    organization_old_url_last_used: str | None
    is_events_account: bool
    moved_to_organization: str | None
    state: AccountState
    enabled: bool
    deletion_protection: bool
    external_id: str | None
    usage: Usage | None
    owner: Owner | None = strawberry.field(
        description="The owner contact given at create; null for viewer tokens."
    )
    limits: Limits | None
    over_limit: OverLimit | None
    suspended_reason: str | None
    dropped_on: str | None
    scheduled_deletion_time: str | None
    restored_on: str | None
    organization_url_expiration_on: str | None
    moved_on: str | None
    internal_id: strawberry.Private[int]

    @strawberry.field(
        description=f"Its newest operations, newest first (at most {MAX_OPERATIONS}); all the "
        "accounts of a page are read by one query."
    )
    async def operations(self, info: Info[Context, None], first: int = 10) -> list[Operation]:
        if not 0 <= first <= MAX_OPERATIONS:
            raise InvalidArgument(
                f"operations: first must be between 0 and {MAX_OPERATIONS}, got {first}"
            )
        rows = await info.context.operations.load((self.internal_id, first))
        return [Operation.of(render_operation(row)) for row in rows]


_PLAIN = [
    name
    for name in AccountNode.__annotations__
    if name not in {"id", "internal_id", "usage", "limits", "over_limit", "owner", "operations"}
]


def account_node(
    context: Context, account: AccountRow, usage: UsageSeen | None = None
) -> AccountNode:
    """The node for a row, rendered exactly as REST renders it."""
    plans = context.request.app[SETTINGS].plans()
    view = render_account(
        account,
        context.principal.organization_name,
        usage=usage,
        limits=plans[Edition(account.edition)],
        owner=allows(context.principal.role, Permission.READ_OWNERS),
    )
    view["organization_url_expiration_on"] = view.get("organization_URL_expiration_on")
    values: dict[str, Any] = {name: view.get(name) for name in _PLAIN}
    return AccountNode(
        id=strawberry.ID(view["id"]),
        internal_id=account.id,
        **values,
        **nested(view),
    )


@strawberry.type(description="An account and its cursor.")
class AccountEdge:
    cursor: str
    node: AccountNode
