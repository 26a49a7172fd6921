"""Accept-time use cases: validate, check conflicts, write the account and operation rows."""

from __future__ import annotations

import string
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from service.domain.identifiers import random_text
from service.domain.lifecycle import (
    MAX_GRACE_DAYS,
    MIN_GRACE_DAYS,
    NOT_ACTIVE_STATES,
    OperationKind,
    can_start,
)
from service.domain.plans import PlanLimits
from service.domain.refs import AccountRef, RefKind
from service.domain.schemas import AccountCreate, Edition
from service.domain.tenants import tenant_names
from service.domain.tokens import Principal
from service.domain.usage import STORAGE_LIMIT_REASON
from service.store.accounts import (
    EXTERNAL_ID_IN_USE,
    IN_FLIGHT,
    LOCATOR_TAKEN,
    NAME_IN_USE,
    CreateRow,
    add_operation,
    external_id_holder,
    find_account,
    in_flight_handle,
    insert_create,
    insert_creates,
)
from service.store.db import PoolConnection
from service.store.models import Account, Operation
from service.store.usage_reads import clear_suspended_reason, suspension_of
from service.usecases.clusters import place_batch, place_one
from service.usecases.operations import begin_operation

_LOCATOR_ATTEMPTS = 5


@dataclass(frozen=True)
class AcceptContext:
    """Where an accepted request came from, recorded on its operation."""

    principal: Principal
    request_id: str
    # The settings' REGIONS: what a create may name while no tenant cluster is registered.
    regions: tuple[str, ...] = ()

    @property
    def requested_by_token(self) -> uuid.UUID:
        return uuid.UUID(self.principal.token_id)

    @property
    def requested_by(self) -> str:
        return self.principal.token_description


@dataclass(frozen=True)
class NewPassword:
    """An administrator password as the operation keeps it: never in clear text."""

    sealed: str  # sealed with SECRET_KEY until the worker has derived the verifier
    given: bool  # false: generated, handed over once by the result; true: never shown


def new_locator() -> str:
    """A system-assigned locator such as `AB123456`: two letters and six digits."""
    return random_text(string.ascii_uppercase, 2) + random_text(string.digits, 6)


def create_row(
    ctx: AcceptContext,
    body: AccountCreate,
    password: NewPassword,
    *,
    locator: str,
    cluster: str | None = None,
) -> CreateRow:
    """The rows an accepted create writes, with a new operation id."""
    names = tenant_names(locator, body.admin_name)
    return CreateRow(
        organization_id=ctx.principal.organization_id,
        name=body.name,
        account_locator=locator,
        tenant_database=names.database,
        tenant_role=names.role,
        edition=body.edition.value,
        region=body.region,
        region_group=body.region_group,
        comment=body.comment,
        deletion_protection=body.deletion_protection,
        external_id=body.external_id,
        operation_id=uuid.uuid4(),
        request=orjson.dumps(body.redacted()).decode(),
        request_id=ctx.request_id,
        sealed_password=password.sealed,
        password_given=password.given,
        admin_name=body.admin_name,
        owner_email=body.email,
        owner_first_name=body.first_name,
        owner_last_name=body.last_name,
        requested_by_token=ctx.requested_by_token,
        requested_by=ctx.requested_by,
        cluster=cluster,
    )


@dataclass(frozen=True)
class Queued:
    """An accepted, committed operation waiting for its hand-over to the broker."""

    kind: OperationKind
    id: uuid.UUID


async def create_account(
    session: AsyncSession, ctx: AcceptContext, body: AccountCreate, password: NewPassword
) -> Queued:
    """Write the account (CREATING) and its queued create operation in the session's
    transaction; a taken locator is drawn again, a taken name or external id is a 409. It goes
    to an open cluster of its region with room (400: no such region; 409: none has room)."""
    cluster = await place_one(session, body.region or "", ctx.regions)
    for _ in range(_LOCATOR_ATTEMPTS):
        row = create_row(ctx, body, password, locator=new_locator(), cluster=cluster)
        taken = await insert_create(session, row)
        if taken is None:
            return Queued(OperationKind.CREATE, row.operation_id)
        if taken == NAME_IN_USE:
            raise AlreadyExists(f"account {body.name} already exists")
        if taken == EXTERNAL_ID_IN_USE:
            raise AlreadyExists(f"external_id {body.external_id!r} is already another account's")
        if taken != LOCATOR_TAKEN:  # pragma: no cover - the other unique indexes are ids
            raise Conflict(f"account {body.name} conflicts with {taken}")
    raise Conflict(  # pragma: no cover - five locator collisions in a row
        "could not assign a unique account locator; retry the request"
    )


async def write_creates(
    connection: PoolConnection, creates: list[tuple[AcceptContext, AccountCreate, NewPassword]]
) -> list[uuid.UUID | None]:
    """Write many creates in one statement (committed on its own): for each, its queued
    operation's id, or None when its row met a unique index or could not be placed and was left
    out (`create_account` then writes it alone, which tells a taken name from a taken external
    id or locator, and says why it has no cluster). Placement and rows share one transaction."""
    locators: set[str] = set()
    while len(locators) < len(creates):  # distinct within the batch: rows are joined by it
        locators.add(new_locator())
    async with connection.transaction():
        seats = await place_batch(
            connection,
            [body.region or "" for _, body, _ in creates],
            [ctx.regions for ctx, _, _ in creates],
        )
        rows = [
            create_row(ctx, body, password, locator=locator, cluster=seat.cluster)
            for (ctx, body, password), locator, seat in zip(creates, locators, seats, strict=True)
        ]
        seated = [row for row, seat in zip(rows, seats, strict=True) if not seat.refused]
        written = await insert_creates(connection, seated) if seated else set()
    return [row.operation_id if row.operation_id in written else None for row in rows]


async def drop_account(
    session: AsyncSession, ctx: AcceptContext, ref: AccountRef, grace_days: int, *, if_exists: bool
) -> Operation | None:
    """The drop operation, or None when `if_exists` and there is nothing to drop."""
    if not MIN_GRACE_DAYS <= grace_days <= MAX_GRACE_DAYS:
        raise InvalidArgument(
            f"gracePeriodInDays must be between {MIN_GRACE_DAYS} and {MAX_GRACE_DAYS}, "
            f"got {grace_days}"
        )
    account = await find_account(session, ctx.principal.organization_id, ref, lock=True)
    if account is None:
        if if_exists:
            return None
        raise NotFound(f"account {ref} does not exist")
    if if_exists and account.state in NOT_ACTIVE_STATES:
        return None
    if account.deletion_protection:
        raise Conflict(
            f"account {account.name} has deletion_protection on; "
            'PATCH it with {"deletion_protection": false} first'
        )
    await require_startable(session, account, OperationKind.DROP)
    return await start_operation(
        session, ctx, account, OperationKind.DROP, {"grace_period_days": grace_days}
    )


async def undrop_account(session: AsyncSession, ctx: AcceptContext, ref: AccountRef) -> Operation:
    account = await find_account_or_404(session, ctx, ref)
    await require_startable(session, account, OperationKind.UNDROP)
    return await start_operation(session, ctx, account, OperationKind.UNDROP, {})


async def update_account(
    session: AsyncSession,
    ctx: AcceptContext,
    ref: AccountRef,
    patch: dict[str, Any],
    plans: dict[Edition, PlanLimits] | None = None,
) -> Operation:
    """Accept a merge patch; the worker applies it (so a canceled update changes nothing).

    With `plans`, an edition change that lifts an account suspended for its storage limit
    above its last measured usage re-enables it in the same update."""
    account = await find_account_or_404(session, ctx, ref)
    await require_startable(session, account, OperationKind.UPDATE)
    await require_unclaimed(session, account, patch)
    patch = await _with_suspension_lifted(session, account, patch, plans)
    if "enabled" in patch:
        await clear_suspended_reason(session, account.id)
    return await start_operation(session, ctx, account, OperationKind.UPDATE, {"patch": patch})


async def _with_suspension_lifted(
    session: AsyncSession,
    account: Account,
    patch: dict[str, Any],
    plans: dict[Edition, PlanLimits] | None,
) -> dict[str, Any]:
    edition = patch.get("edition")
    if plans is None or edition is None or "enabled" in patch or account.enabled:
        return patch
    suspension = await suspension_of(session, account.id)
    if suspension is None or suspension.suspended_reason != STORAGE_LIMIT_REASON:
        return patch
    if plans[Edition(edition)].storage_bytes < suspension.storage_bytes:
        return patch  # still over the new plan: it stays suspended
    return {**patch, "enabled": True}


async def require_unclaimed(session: AsyncSession, account: Account, patch: dict[str, Any]) -> None:
    """409 when the patch's new name or external_id belongs to another live account."""
    new_name = patch.get("name")
    renamed = isinstance(new_name, str) and new_name != account.name
    new_ref = AccountRef(RefKind.NAME, str(new_name))
    if renamed and await find_account(session, account.organization_id, new_ref):
        raise AlreadyExists(f"account {new_name} already exists")
    external_id = patch.get("external_id")
    if external_id is not None and external_id != account.external_id:
        holder = await external_id_holder(session, account.organization_id, external_id)
        if holder is not None:
            raise AlreadyExists(f"external_id {external_id!r} is already account {holder}'s")


async def rotate_credentials(
    session: AsyncSession, ctx: AcceptContext, ref: AccountRef, password: NewPassword
) -> Operation:
    account = await find_account_or_404(session, ctx, ref)
    await require_startable(session, account, OperationKind.ROTATE)
    return await start_operation(session, ctx, account, OperationKind.ROTATE, {}, password=password)


async def find_account_or_404(
    session: AsyncSession, ctx: AcceptContext, ref: AccountRef
) -> Account:
    """The caller's account `ref` names, locked; the same 404 whichever form `ref` has."""
    account = await find_account(session, ctx.principal.organization_id, ref, lock=True)
    if account is None:
        raise NotFound(f"account {ref} does not exist")
    return account


async def require_startable(session: AsyncSession, account: Account, kind: OperationKind) -> None:
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
    if kind in {OperationKind.UNDROP, OperationKind.PURGE}:
        verb = "undropped" if kind == OperationKind.UNDROP else "purged"
        return (
            f"account {account.name} is not dropped (it is {account.state.value}); "
            f"only a dropped account can be {verb}"
        )
    return f"account {account.name} is {account.state.value}; only an active account can do that"


async def start_operation(
    session: AsyncSession,
    ctx: AcceptContext,
    account: Account,
    kind: OperationKind,
    request: dict[str, Any],
    *,
    password: NewPassword | None = None,
) -> Operation:
    operation = begin_operation(account, kind, request, ctx.request_id)
    operation.requested_by_token = ctx.requested_by_token
    operation.requested_by = ctx.requested_by
    if password is not None:
        operation.sealed_password = password.sealed
        operation.password_given = password.given
    taken = await add_operation(session, operation)
    if taken == IN_FLIGHT:
        raise Conflict(f"account {account.name} has an operation in flight")
    if taken is not None:  # pragma: no cover - the operation's other unique index is its id
        raise Conflict(f"{kind.value} of account {account.name} conflicts with {taken}")
    return operation
