"""Account rows written and locked at accept time: creates (one or many per statement), lookups
under lock, the operation that starts on an account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import cast, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from service.domain.lifecycle import (
    GONE_STATES,
    PENDING_OPERATION_STATES,
    TRANSITIONS,
    OperationKind,
    OperationState,
)
from service.domain.refs import AccountRef, RefKind
from service.store.compiled import compile_hot, constant
from service.store.constraints import unique_index_met
from service.store.db import PoolConnection
from service.store.models import Account, Operation, accounts_table, operations_table
from service.store.unnested import Unnested

NAME_IN_USE = "uq_accounts_org_name_in_use"
LOCATOR_TAKEN = "uq_accounts_account_locator"
EXTERNAL_ID_IN_USE = "uq_accounts_org_external_id"
IN_FLIGHT = "uq_operations_account_in_flight"


# Not frozen: a frozen dataclass sets each of its 23 fields through object.__setattr__, which
# cost ~5 µs a create (nothing changes a row once built).
@dataclass(slots=True)
class CreateRow:
    """What an accepted create writes: the account (CREATING) and its queued operation."""

    organization_id: int
    name: str
    account_locator: str
    tenant_database: str
    tenant_role: str
    edition: str
    region: str | None
    region_group: str | None
    comment: str | None
    deletion_protection: bool
    external_id: str | None
    operation_id: uuid.UUID
    request: str  # JSON text of the request, secrets removed
    request_id: str
    sealed_password: str
    password_given: bool
    # The owner contact given at create, and who asked (the token and its description).
    admin_name: str
    owner_email: str
    owner_first_name: str | None
    owner_last_name: str | None
    requested_by_token: uuid.UUID | None
    requested_by: str | None
    cluster: str | None = None  # the tenant cluster placement chose (None: not placed)


# The rows come in as one array per column and are unnested, so one statement writes any number
# of creates (group commit: service/web/create_batches.py).
_ROWS = Unnested(CreateRow)
_INPUT = _ROWS.select.cte("input")
_ACCOUNT_COLUMNS = (
    "organization_id",
    "name",
    "account_locator",
    "tenant_database",
    "tenant_role",
    "edition",
    "region",
    "region_group",
    "comment",
    "deletion_protection",
    "external_id",
    *("admin_name", "owner_email", "owner_first_name", "owner_last_name"),
    "cluster",
)


def _creates_statement(*, skip_conflicts: bool) -> Any:
    """The accounts and their queued create operations in one statement. Conflicts are the
    unique indexes' to find (no pre-read): with `skip_conflicts` a row that meets one is left
    out (and out of RETURNING), else the statement fails naming the index."""
    new_accounts = insert(accounts_table).from_select(
        [
            *_ACCOUNT_COLUMNS,
            *("state", "enabled", "managed_accounts", "is_org_admin", "retention_time"),
            "is_events_account",
        ],
        select(
            *(_INPUT.c[name] for name in _ACCOUNT_COLUMNS),
            constant(TRANSITIONS[OperationKind.CREATE].pending.value),
            constant(True),
            constant(0),
            constant(False),
            constant(1),
            constant(False),
        ),
        include_defaults=False,
    )
    if skip_conflicts:
        new_accounts = new_accounts.on_conflict_do_nothing()
    written = new_accounts.returning(accounts_table.c.id, accounts_table.c.account_locator).cte(
        "account"
    )
    return (
        insert(operations_table)
        .from_select(
            [
                *("id", "organization_id", "account_id", "kind", "state", "request"),
                *("request_id", "attempts", "sealed_password", "password_given"),
                *("requested_by_token", "requested_by"),
            ],
            select(
                _INPUT.c.operation_id,
                _INPUT.c.organization_id,
                written.c.id,
                constant(OperationKind.CREATE.value),
                constant(OperationState.QUEUED.value),
                cast(_INPUT.c.request, JSONB),
                _INPUT.c.request_id,
                constant(0),
                _INPUT.c.sealed_password,
                _INPUT.c.password_given,
                _INPUT.c.requested_by_token,
                _INPUT.c.requested_by,
            ).select_from(
                _INPUT.join(written, written.c.account_locator == _INPUT.c.account_locator)
            ),
            include_defaults=False,
        )
        .returning(operations_table.c.id)
    )


_INSERT_CREATES = compile_hot(_creates_statement(skip_conflicts=True))
_INSERT_CREATE = _creates_statement(skip_conflicts=False)


def _columns(rows: list[CreateRow]) -> dict[str, list[Any]]:
    return _ROWS.arrays(rows)


async def insert_creates(connection: PoolConnection, rows: list[CreateRow]) -> set[uuid.UUID]:
    """Write many creates in one statement that commits on its own; the operation ids written
    (a row that met a unique index is left out). Locators must be distinct within `rows`."""
    records = await connection.fetch(
        _INSERT_CREATES.sql, *_INSERT_CREATES.arguments(_columns(rows))
    )
    return {record[0] for record in records}


async def insert_create(session: AsyncSession, row: CreateRow) -> str | None:
    """Write one create in the session's transaction (in a savepoint of its own): None when
    written, else the unique index it met, with nothing written."""

    async def write() -> None:
        async with session.begin_nested():
            await session.execute(_INSERT_CREATE, _columns([row]))

    return await unique_index_met(write)


def ref_condition(ref: AccountRef, value: Any) -> ColumnElement[bool]:
    """The column `ref` names an account by, compared with `value` (the ref's value or a bind)."""
    column = {
        RefKind.ID: accounts_table.c.public_id,
        RefKind.EXTERNAL_ID: accounts_table.c.external_id,
        RefKind.NAME: accounts_table.c.name,
    }[ref.kind]
    condition: ColumnElement[bool] = column == value
    return condition


def ref_value(ref: AccountRef) -> str | uuid.UUID:
    """The value to compare with `ref_condition`'s column."""
    return ref.uuid if ref.kind == RefKind.ID else ref.value


async def find_account(
    session: AsyncSession, organization_id: int, ref: AccountRef, *, lock: bool = False
) -> Account | None:
    """The organization's account `ref` names that still holds its name (locked with `lock`)."""
    query = select(Account).where(
        Account.organization_id == organization_id,
        ref_condition(ref, ref_value(ref)),
        Account.state.not_in(GONE_STATES),
    )
    if lock:
        query = query.with_for_update()
    found: Account | None = await session.scalar(query)
    return found


async def external_id_holder(
    session: AsyncSession, organization_id: int, external_id: str
) -> str | None:
    """The name of the organization's live account with `external_id`, if any."""
    holder: str | None = await session.scalar(
        select(Account.name).where(
            Account.organization_id == organization_id,
            Account.external_id == external_id,
            Account.state.not_in(GONE_STATES),
        )
    )
    return holder


async def in_flight_handle(session: AsyncSession, account_id: int) -> str | None:
    """The handle of the account's queued or running operation, if any."""
    handle = await session.scalar(
        select(Operation.id).where(
            Operation.account_id == account_id, Operation.state.in_(PENDING_OPERATION_STATES)
        )
    )
    return str(handle) if handle is not None else None


async def add_operation(session: AsyncSession, operation: Operation) -> str | None:
    """Write a new operation in the session's transaction: None when written, else the unique
    index it met (IN_FLIGHT: another operation of its account is queued or running), and the
    transaction can only be rolled back."""
    session.add(operation)
    return await unique_index_met(session.flush)
