"""The GraphQL object types: an account node as REST renders it, operations, editions, pages."""

from __future__ import annotations

from enum import Enum
from typing import Any, NewType, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from service.domain.lifecycle import AccountState, OperationKind, OperationState
from service.domain.schemas import Edition
from service.store.account_pages import PageOrder
from service.web.operation_view import OperationView

# The domain's own enums, described to GraphQL (members by name, as REST spells the values).
for _enum in (AccountState, OperationKind, OperationState, Edition):
    strawberry.enum(_enum)
strawberry.enum(PageOrder, name="AccountOrderField")


def _whole_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("BigInt must be a whole number")
    return value


# GraphQL's Int is 32 bits; byte counts are not.
BigInt = NewType("BigInt", int)
SCALARS: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A whole number that may exceed 32 bits (e.g. bytes).",
        serialize=int,
        parse_value=_whole_number,
    )
}


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.type(description="What the usage scan last measured.")
class Usage:
    storage_bytes: BigInt = strawberry.field(description="Bytes its database holds.")
    connections: int = strawberry.field(description="Sessions open on its database.")
    measured_on: str = strawberry.field(description="When the scan measured it (RFC 3339).")


@strawberry.type(description="The limits of the account's edition.")
class Limits:
    connections: int = strawberry.field(description="Connections its login may hold at once.")
    storage_bytes: BigInt = strawberry.field(description="Bytes its database may hold.")


@strawberry.type(description="Why the account is over its plan, and since when.")
class OverLimit:
    reason: str
    since: str


@strawberry.type(
    description="The owner contact given at create (shown to admin and operator tokens only)."
)
class Owner:
    admin_name: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@strawberry.type(description="One edition (plan) with its limits, as `GET /api/v2/editions`.")
class EditionLimits:
    name: Edition
    connection_limit: int
    storage_limit_bytes: BigInt


@strawberry.type(description="The token that asked for an operation.")
class RequestedBy:
    token_id: strawberry.ID
    description: str


@strawberry.type(
    description="A mutation of an account, from accept to its end (as `GET /api/v2/operations/"
    "{handle}`). `id` is the handle; poll `resultLocation` for the REST result."
)
class Operation:
    id: strawberry.ID
    kind: OperationKind
    account: str = strawberry.field(description="The account's name (now).")
    account_id: strawberry.ID = strawberry.field(
        description="The account's immutable id (as `Account.id`)."
    )
    state: OperationState
    done: bool
    attempts: int
    step: str | None
    created_on: str
    started_on: str | None
    finished_on: str | None
    result: JSON | None = strawberry.field(
        description="The final body of a succeeded operation (a password is always null here)."
    )
    error: JSON | None = strawberry.field(
        description="The error body of a failed or canceled operation."
    )
    result_location: str
    requested_by: RequestedBy | None = strawberry.field(
        description="Who asked for it; null for the service's own operations (a scheduled purge, "
        "a suspension for a storage limit)."
    )

    @classmethod
    def of(cls, view: OperationView) -> Operation:
        return cls(
            id=strawberry.ID(view["id"]),
            kind=view["kind"],
            account=view["account"],
            account_id=strawberry.ID(view["account_id"]),
            state=view["state"],
            done=view["done"],
            attempts=view["attempts"],
            step=view["step"],
            created_on=view["created_on"],
            started_on=view["started_on"],
            finished_on=view["finished_on"],
            result=cast(JSON, view["result"]),
            error=cast(JSON, view["error"]),
            result_location=view["result_location"],
            requested_by=RequestedBy(
                token_id=strawberry.ID(asked["token_id"]), description=asked["description"]
            )
            if (asked := view["requested_by"])
            else None,
        )


@strawberry.type(description="Relay's page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def nested(view: dict[str, Any]) -> dict[str, Any]:
    """The rendered account's nested objects as their GraphQL types."""
    usage, limits, over = view.get("usage"), view.get("limits"), view.get("over_limit")
    owner = view.get("owner")
    return {
        "owner": Owner(**owner) if owner else None,
        "usage": Usage(**usage) if usage else None,
        "limits": Limits(**limits) if limits else None,
        "over_limit": OverLimit(**over) if over else None,
    }
