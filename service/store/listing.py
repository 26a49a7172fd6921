"""Account reads: one account (by name, id or external id), and the `like` / `fromName` /
`showLimit` listing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Text, UnaryExpression, Uuid, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import InvalidArgument, NotFound
from service.domain.lifecycle import GONE_STATES, HISTORY_STATES, LIVE_STATES, AccountState
from service.domain.refs import AccountRef, RefKind
from service.domain.usage import UsageSeen
from service.store.accounts import ref_condition, ref_value
from service.store.compiled import compile_hot
from service.store.db import HotPool
from service.store.models import Account, AccountUsage

MAX_SHOW_LIMIT = 10_000
ORDERINGS: dict[str, UnaryExpression[Any]] = {
    "name": Account.name.asc(),
    "-name": Account.name.desc(),
    "created_on": Account.created_on.asc(),
    "-created_on": Account.created_on.desc(),
}
LIKE_ESCAPE = "\\"


def validate_like(pattern: str) -> str:
    """A SQL LIKE pattern PostgreSQL will accept: `\\` must escape something."""
    escaped = False
    for char in pattern:
        escaped = not escaped and char == LIKE_ESCAPE
    if escaped:
        raise InvalidArgument("like: pattern must not end with an unescaped '\\'")
    return pattern


# Every column of an account, read by one plain query on the hot pool (the read every client
# repeats, e.g. while waiting for a drop; an ORM session cost four round trips). The gone states
# are written into the statement, not bound: only then can the plan PostgreSQL caches for a
# prepared statement (a generic plan) use the partial unique index on the name, whose predicate
# they are; with them bound it scanned the trigram index instead (~15x slower). The account's
# last measured usage comes along (a join on its primary key).
_COLUMNS = [attribute.key for attribute in Account.__mapper__.column_attrs]
_USAGE_COLUMNS = [
    AccountUsage.storage_bytes,
    AccountUsage.connections,
    AccountUsage.measured_on,
    AccountUsage.over_limit,
    AccountUsage.over_limit_since,
    AccountUsage.suspended_reason,
]
_READ_ACCOUNT = {
    kind: compile_hot(
        select(*(getattr(Account, key) for key in _COLUMNS), *_USAGE_COLUMNS)
        .outerjoin(AccountUsage, AccountUsage.account_id == Account.id)
        .where(
            Account.organization_id == bindparam("organization_id"),
            ref_condition(AccountRef(kind, ""), bindparam("value", type_=type_)),
            Account.state.not_in(bindparam("gone", sorted(GONE_STATES), literal_execute=True)),
        )
    )
    for kind, type_ in ((RefKind.NAME, Text()), (RefKind.ID, Uuid()), (RefKind.EXTERNAL_ID, Text()))
}


def _usage(values: Sequence[Any]) -> UsageSeen | None:
    """The usage columns of a row (None when the account was never measured)."""
    return None if values[2] is None else UsageSeen(*values)


async def read_account(
    pool: HotPool, organization_id: int, ref: AccountRef, *, wait_seconds: float
) -> tuple[Account, UsageSeen | None]:
    """The organization's live account `ref` names (not attached to any session: read only)
    and its last measured usage."""
    statement = _READ_ACCOUNT[ref.kind]
    binds = {"organization_id": organization_id, "value": ref_value(ref)}
    async with pool.acquire(wait_seconds=wait_seconds) as connection:
        row = await connection.fetchrow(statement.sql, *statement.arguments(binds))
    if row is None:
        raise NotFound(f"account {ref} does not exist")
    values = dict(zip(_COLUMNS, row[: len(_COLUMNS)], strict=True))
    values["state"] = AccountState(values["state"])
    return Account(**values), _usage(row[len(_COLUMNS) :])


async def usage_of_accounts(session: AsyncSession, account_ids: list[int]) -> dict[int, UsageSeen]:
    """The last measured usage of each of the accounts (by primary key), for a listing."""
    if not account_ids:
        return {}
    rows = await session.execute(
        select(AccountUsage.account_id, *_USAGE_COLUMNS).where(
            AccountUsage.account_id == any_(bindparam("ids", account_ids, type_=ARRAY(BigInteger)))
        )
    )
    found: dict[int, UsageSeen] = {}
    for account_id, *values in rows:
        usage = _usage(values)
        if usage is not None:
            found[account_id] = usage
    return found


async def list_accounts(
    session: AsyncSession,
    organization_id: int,
    *,
    like: str | None,
    show_limit: int,
    from_name: str | None,
    history: bool,
    external_id: str | None = None,
    order_by: str = "name",
) -> Sequence[Account]:
    """Accounts ordered by name.

    `fromName` starts after the first name that starts with it (case-sensitive). Names that start
    with a prefix sort directly after the prefix itself, so that first name is simply the first
    row at or after `fromName` — when it starts with `fromName`, it is skipped.
    """
    if order_by not in ORDERINGS:
        raise InvalidArgument(f"orderBy must be one of {', '.join(ORDERINGS)}, got {order_by!r}")
    if from_name is not None and order_by != "name":
        raise InvalidArgument("fromName pages through names in order: use it with orderBy=name")
    states = LIVE_STATES | HISTORY_STATES if history else LIVE_STATES
    query = (
        select(Account)
        .where(Account.organization_id == organization_id, Account.state.in_(states))
        .order_by(ORDERINGS[order_by], Account.id)
    )
    if external_id is not None:
        query = query.where(Account.external_id == external_id)
    if like is not None:
        query = query.where(Account.name.ilike(validate_like(like), escape=LIKE_ESCAPE))
        # One prepared statement serves every pattern; once PostgreSQL caches a generic plan for
        # it, `%` walks the whole trigram index too. Plan each pattern on its own value instead.
        await session.execute(select(func.set_config("plan_cache_mode", "force_custom_plan", True)))
    if from_name is not None:
        query = query.where(Account.name >= from_name)
    rows = list((await session.scalars(query.limit(show_limit + 1))).all())
    if from_name is not None and rows and rows[0].name.startswith(from_name):
        rows.pop(0)
    return rows[:show_limit]
