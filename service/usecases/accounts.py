"""Accept-time use cases: validate, check conflicts, write the account and operation rows."""

from __future__ import annotations

import json
import string
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from service.domain.identifiers import random_text
from service.domain.lifecycle import (
    GONE_STATES,
    PENDING_OPERATION_STATES,
    TRANSITIONS,
    AccountState,
    OperationKind,
    OperationState,
    can_start,
)
from service.domain.schemas import AccountCreate
from service.domain.tenants import tenant_names
from service.domain.tokens import Principal
from service.store.constraints import violated_constraint
from service.store.models import Account, Operation
from service.usecases.operations import begin_operation

MIN_GRACE_DAYS = 3
MAX_GRACE_DAYS = 90
NAME_IN_USE = "uq_accounts_org_name_in_use"
LOCATOR_TAKEN = "uq_accounts_account_locator"
EXTERNAL_ID_IN_USE = "uq_accounts_org_external_id"
IN_FLIGHT = "uq_operations_account_in_flight"
_LOCATOR_ATTEMPTS = 5


@dataclass(frozen=True)
class AcceptContext:
    """Where an accepted request came from, recorded on its operation."""

    principal: Principal
    request_id: str


@dataclass(frozen=True)
class NewPassword:
    """An administrator password as the operation keeps it: never in clear text."""

    sealed: str  # sealed with SECRET_KEY until the worker has derived the verifier
    given: bool  # false: generated, handed over once by the result; true: never shown


def new_locator() -> str:
    """A system-assigned locator such as `AB123456`: two letters and six digits."""
    return random_text(string.ascii_uppercase, 2) + random_text(string.digits, 6)


# The account and its queued create operation in one statement: one round trip, one commit.
# Conflicts are the unique indexes' to find (no pre-read): a taken name or external id, or a
# taken locator (then another locator is drawn). Parameters: $1-$16 as `_create_row` orders
# them, $17-$19 `_CREATE_STATES`.
_INSERT_CREATE = """
WITH account AS (
    INSERT INTO accounts (
        organization_id, name, state, account_locator, tenant_database, tenant_role, edition,
        region, region_group, comment, deletion_protection, external_id, enabled,
        managed_accounts, is_org_admin, retention_time, is_events_account
    )
    VALUES ($1, $2, $17, $3, $4, $5, $6, $7, $8, $9, $10, $11, true, 0, false, 1, false)
    RETURNING id
)
INSERT INTO operations (
    id, organization_id, account_id, kind, state, request, request_id, attempts,
    sealed_password, password_given
)
SELECT $12, $1, account.id, $18, $19, $13::jsonb, $14, 0, $15, $16 FROM account
"""
# The account's state, the operation's kind and state of every new create.
_CREATE_STATES = (
    TRANSITIONS[OperationKind.CREATE].pending.value,
    OperationKind.CREATE.value,
    OperationState.QUEUED.value,
)


def _create_row(
    ctx: AcceptContext,
    body: AccountCreate,
    password: NewPassword,
    *,
    locator: str,
    operation_id: uuid.UUID,
    request: str,
) -> tuple[Any, ...]:
    names = tenant_names(locator, body.admin_name)
    return (
        ctx.principal.organization_id,
        body.name,
        locator,
        names.database,
        names.role,
        body.edition.value,
        body.region,
        body.region_group,
        body.comment,
        body.deletion_protection,
        body.external_id,
        operation_id,
        request,
        ctx.request_id,
        password.sealed,
        password.given,
    )


@dataclass(frozen=True)
class Queued:
    """An accepted, committed operation waiting for its hand-over to the broker."""

    kind: OperationKind
    id: uuid.UUID


async def create_account(
    connection: asyncpg.Connection | PoolConnectionProxy,
    ctx: AcceptContext,
    body: AccountCreate,
    password: NewPassword,
) -> Queued:
    """Insert the account (CREATING) and its queued create operation.

    On a connection outside a transaction the statement commits by itself; inside one (an
    Idempotency-Key's), each try runs in a savepoint so a taken locator can be retried.
    """
    request = json.dumps(body.redacted())
    for _ in range(_LOCATOR_ATTEMPTS):
        operation_id = uuid.uuid4()
        arguments = (
            *_create_row(
                ctx,
                body,
                password,
                locator=new_locator(),
                operation_id=operation_id,
                request=request,
            ),
            *_CREATE_STATES,
        )
        try:
            if connection.is_in_transaction():
                async with connection.transaction():
                    await connection.execute(_INSERT_CREATE, *arguments)
            else:
                await connection.execute(_INSERT_CREATE, *arguments)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == NAME_IN_USE:
                raise AlreadyExists(f"account {body.name} already exists") from exc
            if exc.constraint_name == EXTERNAL_ID_IN_USE:
                raise AlreadyExists(
                    f"external_id {body.external_id!r} is already another account's"
                ) from exc
            if exc.constraint_name != LOCATOR_TAKEN:
                raise
        else:
            return Queued(OperationKind.CREATE, operation_id)
    raise Conflict(  # pragma: no cover - five locator collisions in a row
        "could not assign a unique account locator; retry the request"
    )


# Many creates in one statement and one commit (group commit: service/create_batches.py). A row
# that meets a unique index is skipped and left out of RETURNING; its request is then written
# alone by `create_account`, which tells a taken name from a taken external id or locator.
_INSERT_CREATES = """
WITH input AS (
    SELECT * FROM unnest(
        $1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::boolean[], $11::text[], $12::uuid[], $13::text[],
        $14::text[], $15::text[], $16::boolean[]
    ) AS i(
        organization_id, name, account_locator, tenant_database, tenant_role, edition, region,
        region_group, comment, deletion_protection, external_id, operation_id, request,
        request_id, sealed_password, password_given
    )
), account AS (
    INSERT INTO accounts (
        organization_id, name, state, account_locator, tenant_database, tenant_role, edition,
        region, region_group, comment, deletion_protection, external_id, enabled,
        managed_accounts, is_org_admin, retention_time, is_events_account
    )
    SELECT organization_id, name, $17, account_locator, tenant_database, tenant_role, edition,
        region, region_group, comment, deletion_protection, external_id, true, 0, false, 1, false
    FROM input
    ON CONFLICT DO NOTHING
    RETURNING id, account_locator
)
INSERT INTO operations (
    id, organization_id, account_id, kind, state, request, request_id, attempts,
    sealed_password, password_given
)
SELECT input.operation_id, input.organization_id, account.id, $18, $19, input.request::jsonb,
    input.request_id, 0, input.sealed_password, input.password_given
FROM input JOIN account USING (account_locator)
RETURNING id
"""


async def insert_creates(
    connection: asyncpg.Connection | PoolConnectionProxy,
    creates: list[tuple[AcceptContext, AccountCreate, NewPassword]],
) -> list[uuid.UUID | None]:
    """Insert many creates in one statement (committed on its own): for each, its queued
    operation's id, or None when its row met a unique index and was left out."""
    locators: set[str] = set()
    while len(locators) < len(creates):  # distinct within the batch: rows are joined by it
        locators.add(new_locator())
    operation_ids = [uuid.uuid4() for _ in creates]
    rows = [
        _create_row(
            ctx,
            body,
            password,
            locator=locator,
            operation_id=operation_id,
            request=json.dumps(body.redacted()),
        )
        for (ctx, body, password), locator, operation_id in zip(
            creates, locators, operation_ids, strict=True
        )
    ]
    columns = [list(column) for column in zip(*rows, strict=True)]
    written = {
        record[0] for record in await connection.fetch(_INSERT_CREATES, *columns, *_CREATE_STATES)
    }
    return [operation_id if operation_id in written else None for operation_id in operation_ids]


def _attach(operation: Operation, password: NewPassword) -> None:
    operation.sealed_password = password.sealed
    operation.password_given = password.given


async def drop_account(
    session: AsyncSession, ctx: AcceptContext, name: str, grace_days: int, *, if_exists: bool
) -> Operation | None:
    """The drop operation, or None when `if_exists` and there is nothing to drop."""
    if not MIN_GRACE_DAYS <= grace_days <= MAX_GRACE_DAYS:
        raise InvalidArgument(
            f"gracePeriodInDays must be between {MIN_GRACE_DAYS} and {MAX_GRACE_DAYS}, "
            f"got {grace_days}"
        )
    account = await _find_account(session, ctx.principal.organization_id, name, lock=True)
    if account is None:
        if if_exists:
            return None
        raise NotFound(f"account {name} does not exist")
    if if_exists and account.state in _NOT_ACTIVE:
        return None
    if account.deletion_protection:
        raise Conflict(
            f"account {name} has deletion_protection on; "
            'PATCH it with {"deletion_protection": false} first'
        )
    await _require_startable(session, account, OperationKind.DROP)
    return await _start(
        session, ctx, account, OperationKind.DROP, {"grace_period_days": grace_days}
    )


async def undrop_account(session: AsyncSession, ctx: AcceptContext, name: str) -> Operation:
    account = await _find_account(session, ctx.principal.organization_id, name, lock=True)
    if account is None:
        raise NotFound(f"account {name} does not exist")
    await _require_startable(session, account, OperationKind.UNDROP)
    return await _start(session, ctx, account, OperationKind.UNDROP, {})


async def update_account(
    session: AsyncSession, ctx: AcceptContext, name: str, patch: dict[str, Any]
) -> Operation:
    """Accept a merge patch; the worker applies it (so a canceled update changes nothing)."""
    account = await _find_account(session, ctx.principal.organization_id, name, lock=True)
    if account is None:
        raise NotFound(f"account {name} does not exist")
    await _require_startable(session, account, OperationKind.UPDATE)
    await require_unclaimed(session, account, patch)
    return await _start(session, ctx, account, OperationKind.UPDATE, {"patch": patch})


async def require_unclaimed(session: AsyncSession, account: Account, patch: dict[str, Any]) -> None:
    """409 when the patch's new name or external_id belongs to another live account."""
    new_name = patch.get("name")
    renamed = isinstance(new_name, str) and new_name != account.name
    if renamed and await _find_account(session, account.organization_id, str(new_name)):
        raise AlreadyExists(f"account {new_name} already exists")
    external_id = patch.get("external_id")
    if external_id is not None and external_id != account.external_id:
        holder = await session.scalar(
            select(Account.name).where(
                Account.organization_id == account.organization_id,
                Account.external_id == external_id,
                Account.state.not_in(GONE_STATES),
            )
        )
        if holder is not None:
            raise AlreadyExists(f"external_id {external_id!r} is already account {holder}'s")


async def rotate_credentials(
    session: AsyncSession, ctx: AcceptContext, name: str, password: NewPassword
) -> Operation:
    account = await _find_account(session, ctx.principal.organization_id, name, lock=True)
    if account is None:
        raise NotFound(f"account {name} does not exist")
    await _require_startable(session, account, OperationKind.ROTATE)
    return await _start(session, ctx, account, OperationKind.ROTATE, {}, password=password)


# States in which an account counts as "no active account" for `ifExists=true` drops.
_NOT_ACTIVE = frozenset({AccountState.DROPPING, AccountState.DROPPED, AccountState.PURGING})


async def _require_startable(session: AsyncSession, account: Account, kind: OperationKind) -> None:
    handle = await in_flight_handle(session, account.id)
    if handle is not None:
        raise Conflict(
            f"account {account.name} has an operation in flight ({handle}); "
            "wait for it to finish, then retry"
        )
    if not can_start(kind, account.state):
        raise Conflict(_refusal(kind, account))


def _refusal(kind: OperationKind, account: Account) -> str:
    if kind == OperationKind.DROP:
        return f"account {account.name} is already dropped"
    if kind == OperationKind.UNDROP:
        return (
            f"account {account.name} is not dropped (it is {account.state.value}); "
            "only a dropped account can be undropped"
        )
    return f"account {account.name} is {account.state.value}; only an active account can do that"


async def _start(
    session: AsyncSession,
    ctx: AcceptContext,
    account: Account,
    kind: OperationKind,
    request: dict[str, Any],
    *,
    password: NewPassword | None = None,
) -> Operation:
    operation = begin_operation(account, kind, request, ctx.request_id)
    if password is not None:
        _attach(operation, password)
    session.add(operation)
    try:
        await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc) == IN_FLIGHT:
            raise Conflict(f"account {account.name} has an operation in flight") from exc
        raise
    return operation


async def in_flight_handle(session: AsyncSession, account_id: int) -> str | None:
    handle = await session.scalar(
        select(Operation.id).where(
            Operation.account_id == account_id, Operation.state.in_(PENDING_OPERATION_STATES)
        )
    )
    return str(handle) if handle is not None else None


async def _find_account(
    session: AsyncSession, organization_id: int, name: str, *, lock: bool = False
) -> Account | None:
    query = select(Account).where(
        Account.organization_id == organization_id,
        Account.name == name,
        Account.state.not_in(GONE_STATES),
    )
    if lock:
        query = query.with_for_update()
    result: Account | None = await session.scalar(query)
    return result
