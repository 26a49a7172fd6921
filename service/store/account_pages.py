"""Keyset pages of accounts, filtered and ordered, with opaque cursors (the GraphQL API's)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import InvalidArgument
from service.domain.lifecycle import HISTORY_STATES, LIVE_STATES, AccountState
from service.store import cursors
from service.store.listing import LIKE_ESCAPE, validate_like
from service.store.models import Account

MAX_PAGE = 100
VISIBLE_STATES = LIVE_STATES | HISTORY_STATES


class PageOrder(StrEnum):
    NAME = "NAME"
    CREATED_ON = "CREATED_ON"


@dataclass(frozen=True)
class AccountFilter:
    """Conditions an account must all meet; a None (or False) one is left out."""

    name: str | None = None  # the stored name: normalized, upper case
    name_like: str | None = None  # a LIKE pattern, matched case-insensitively
    state: AccountState | None = None
    edition: str | None = None
    region: str | None = None
    external_id: str | None = None
    include_dropped: bool = False  # also the dropped accounts that are not purged yet


@dataclass(frozen=True)
class PageRequest:
    """`size` accounts after the cursor `after`, or (`backwards`) those before `before`."""

    size: int
    backwards: bool
    after: str | None
    before: str | None
    order: PageOrder = PageOrder.NAME
    descending: bool = False

    @classmethod
    def relay(
        cls,
        *,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        order: PageOrder,
        descending: bool,
    ) -> PageRequest:
        """From Relay's arguments: `first`/`after` pages forwards, `last`/`before` backwards."""
        if first is not None and last is not None:
            raise InvalidArgument("give first or last, not both")
        size = last if last is not None else first
        size = MAX_PAGE if size is None else size
        if not 0 <= size <= MAX_PAGE:
            name = "last" if last is not None else "first"
            raise InvalidArgument(f"{name} must be between 0 and {MAX_PAGE}, got {size}")
        return cls(size, last is not None, after, before, order, descending)


@dataclass(frozen=True)
class Page:
    accounts: list[Account]
    order: PageOrder
    has_next: bool
    has_previous: bool

    def cursor(self, index: int) -> str | None:
        """The cursor of the page's `index`th account (encoded on demand: a page asked only for
        its nodes encodes none), or None on an empty page."""
        return encode_cursor(self.accounts[index], self.order) if self.accounts else None


def _key_column(order: PageOrder) -> Any:
    return Account.name if order == PageOrder.NAME else Account.created_on


def encode_cursor(account: Account, order: PageOrder) -> str:
    key = account.name if order == PageOrder.NAME else account.created_on.isoformat()
    raw = json.dumps([order.value, key, account.id], separators=(",", ":"))
    return cursors.wrap(raw)


def decode_cursor(cursor: str, order: PageOrder) -> tuple[Any, int]:
    """(sort key, internal id) of a cursor this service handed out for the same order."""
    try:
        raw = cursors.unwrap(cursor)
        field, key, account_id = json.loads(raw)
        if field != order.value or not isinstance(account_id, int) or not isinstance(key, str):
            raise ValueError(field)
        return (key if order == PageOrder.NAME else datetime.fromisoformat(key)), account_id
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise InvalidArgument(
            f"cursor {cursor[:40]!r} is not one this service handed out for orderBy {order.value}"
        ) from None


def _conditions(organization_id: int, where: AccountFilter) -> list[ColumnElement[bool]]:
    states = VISIBLE_STATES if where.include_dropped else LIVE_STATES
    if where.state is not None:
        # Asking for a state is asking to see it, dropped or not; gone accounts stay gone.
        states = VISIBLE_STATES & {where.state}
    conditions = [Account.organization_id == organization_id, Account.state.in_(states)]
    if where.name is not None:
        conditions.append(Account.name == where.name)
    if where.name_like is not None:
        pattern = validate_like(where.name_like)
        conditions.append(Account.name.ilike(pattern, escape=LIKE_ESCAPE))
    for column, value in (
        (Account.edition, where.edition),
        (Account.region, where.region),
        (Account.external_id, where.external_id),
    ):
        if value is not None:
            conditions.append(column == value)
    return conditions


def _page_query(request: PageRequest, conditions: list[ColumnElement[bool]]) -> Select[Account]:
    key = _key_column(request.order)
    # Walking backwards is walking the reverse order forwards, then turning the page round.
    reverse = request.backwards != request.descending
    query = select(Account).where(*conditions)
    for cursor, is_after in ((request.after, True), (request.before, False)):
        if cursor is None:
            continue
        position = tuple_(key, Account.id)
        value = tuple_(*decode_cursor(cursor, request.order))
        ahead = is_after != request.descending
        query = query.where(position > value if ahead else position < value)
    ordering = (key.desc(), Account.id.desc()) if reverse else (key.asc(), Account.id.asc())
    return query.order_by(*ordering).limit(request.size + 1)


async def account_page(
    session: AsyncSession, organization_id: int, where: AccountFilter, request: PageRequest
) -> Page:
    rows = list(
        (await session.scalars(_page_query(request, _conditions(organization_id, where)))).all()
    )
    more = len(rows) > request.size
    rows = rows[: request.size]
    if request.backwards:
        rows.reverse()
    # Beyond the cursor we came from there is at least that cursor's own row.
    has_next = more if not request.backwards else request.before is not None
    has_previous = more if request.backwards else request.after is not None
    return Page(rows, request.order, has_next=has_next, has_previous=has_previous)


async def count_accounts(session: AsyncSession, organization_id: int, where: AccountFilter) -> int:
    query = select(func.count()).select_from(Account).where(*_conditions(organization_id, where))
    return int((await session.execute(query)).scalar_one())
