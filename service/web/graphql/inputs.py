"""The GraphQL input types, each turned into what the store or a use case takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar, get_args, get_origin

import strawberry
from pydantic import BaseModel

from service.domain.errors import InvalidArgument
from service.domain.identifiers import parse_uuid
from service.domain.lifecycle import MIN_GRACE_DAYS, AccountState, OperationKind, OperationState
from service.domain.names import normalize_account_name
from service.domain.patches import AccountPatch
from service.domain.refs import parse_account_ref
from service.domain.schemas import AccountCreate, Edition
from service.store.account_pages import AccountFilter, PageOrder
from service.store.operation_reads import OperationFilter
from service.web.graphql.types import OrderDirection

T = TypeVar("T")


@strawberry.input(description="Every given condition must hold.")
class AccountFilterInput:
    name: str | None = None
    name_like: str | None = strawberry.field(
        default=None, description="Case-insensitive SQL LIKE pattern (`%`, `_`, `\\` escapes)."
    )
    state: AccountState | None = strawberry.field(
        default=None, description="Only this state (a dropped state is shown when asked for)."
    )
    edition: Edition | None = None
    region: str | None = None
    external_id: str | None = None
    include_dropped: bool = strawberry.field(
        default=False, description="Also dropped accounts that are not purged yet."
    )

    def condition(self) -> AccountFilter:
        return AccountFilter(
            name=normalize_account_name(self.name, field="filter.name") if self.name else None,
            name_like=self.name_like,
            state=self.state,
            edition=self.edition.value if self.edition else None,
            region=self.region,
            external_id=self.external_id,
            include_dropped=self.include_dropped,
        )


@strawberry.input
class AccountOrderInput:
    field: PageOrder = PageOrder.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="The filters of `GET /api/v2/operations`.")
class OperationFilterInput:
    state: OperationState | None = None
    kind: OperationKind | None = None
    account: str | None = strawberry.field(
        default=None,
        description="Its name, `id:<id>` or `externalId:<value>` (as REST's `account`).",
    )
    since: datetime | None = strawberry.field(
        default=None, description="Created at or after (RFC 3339 with an offset)."
    )
    requested_by: strawberry.ID | None = strawberry.field(
        default=None, description="Asked for by this token (its id)."
    )

    def condition(self) -> OperationFilter:
        if self.since is not None and self.since.tzinfo is None:
            raise InvalidArgument("filter.since must have a UTC offset")
        account = self.account
        token_id = parse_uuid(str(self.requested_by)) if self.requested_by is not None else None
        if self.requested_by is not None and token_id is None:
            raise InvalidArgument("filter.requestedBy must be a token id (a UUID)")
        return OperationFilter(
            state=self.state,
            kind=self.kind,
            account=None if account is None else parse_account_ref(account, field="filter.account"),
            since=self.since.astimezone(UTC) if self.since else None,
            requested_by=token_id,
        )


def given(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields a client gave (explicit nulls kept: in a patch they clear)."""
    return {
        key: value.value if isinstance(value, Edition) else value
        for key, value in fields.items()
        if value is not strawberry.UNSET
    }


def fields_of(model: type[BaseModel]) -> Callable[[type[T]], type[T]]:
    """Give an input class the fields of the REST model that validates the same body, required
    ones first: those the model requires are required, the others optional and UNSET when absent,
    so the model sees exactly what the client gave (an explicit null kept)."""

    def declare(cls: type[T]) -> type[T]:
        ordered = sorted(model.model_fields.items(), key=lambda item: not item[1].is_required())
        for name, info in ordered:
            kind = _scalar(info.annotation)
            if info.is_required():
                cls.__annotations__[name] = kind
            else:
                cls.__annotations__[name] = kind | None
                setattr(cls, name, strawberry.UNSET)
        return cls

    return declare


def _scalar(annotation: Any) -> Any:
    """`StrictStr | None` -> `str`: the type a field's values have, without null or constraints."""
    (kind,) = [arg for arg in get_args(annotation) if arg is not type(None)] or [annotation]
    return get_args(kind)[0] if get_origin(kind) is Annotated else kind


@strawberry.input(description="`POST /api/v2/accounts`'s body; the same validation applies.")
@fields_of(AccountCreate)
class CreateAccountInput:
    def body(self) -> dict[str, Any]:
        return given(vars(self))


@strawberry.input(description="A merge patch, as `PATCH /api/v2/accounts/{name}`.")
@fields_of(AccountPatch)
class UpdateAccountInput:
    account_id: strawberry.ID

    def patch(self) -> dict[str, Any]:
        return {k: v for k, v in given(vars(self)).items() if k != "account_id"}


@strawberry.input(description="Also the marketplace's shape: `{accountId}` alone.")
class DeleteAccountInput:
    account_id: strawberry.ID
    grace_period_in_days: int = strawberry.field(
        default=MIN_GRACE_DAYS, description="Days before the purge (3-90)."
    )
    if_exists: bool = False


@strawberry.input
class AccountIdInput:
    account_id: strawberry.ID
