"""Operations as a resource: one by handle, and the filtered and paginated list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.errors import InvalidArgument, NotFound
from service.domain.identifiers import parse_uuid
from service.domain.lifecycle import OperationKind, OperationState
from service.domain.refs import AccountRef
from service.store import cursors
from service.store.accounts import ref_condition, ref_value
from service.store.models import Account, Operation, OperationProgress

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class OperationRow:
    operation: Operation
    account_name: str
    step: str | None
    account_id: uuid.UUID  # the account's public id


@dataclass(frozen=True)
class OperationFilter:
    state: OperationState | None = None
    kind: OperationKind | None = None
    account: AccountRef | None = None  # by name (any account that held it), id or external id
    since: datetime | None = None
    requested_by: uuid.UUID | None = None  # the token that asked


def _query(
    organization_id: int, token_id: uuid.UUID | None = None
) -> Select[Operation, str, str | None, uuid.UUID]:
    """The organization's operations (and, given `token_id`, those that token requested: a
    fleet admin's move of another organization's account)."""
    readable = Operation.organization_id == organization_id
    return (
        select(Operation, Account.name, OperationProgress.step, Account.public_id)
        .join(Account, Account.id == Operation.account_id)
        .outerjoin(OperationProgress, OperationProgress.operation_id == Operation.id)
        .where(readable if token_id is None else or_(readable, _requested_by(token_id)))
    )


def _requested_by(token_id: uuid.UUID) -> ColumnElement[bool]:
    return Operation.requested_by_token == token_id


async def get_operation(
    session: AsyncSession, organization_id: int, handle: str, *, token_id: str = ""
) -> OperationRow:
    operation_id = parse_uuid(handle)
    found = None
    if operation_id is not None:
        query = _query(organization_id, parse_uuid(token_id))
        found = (await session.execute(query.where(Operation.id == operation_id))).one_or_none()
    if found is None:
        raise NotFound(f"operation {handle} does not exist")
    return OperationRow(*found)


def encode_cursor(operation: Operation) -> str:
    raw = f"{operation.created_at.isoformat()}|{operation.id}"
    return cursors.wrap(raw)


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = cursors.unwrap(cursor)
        created, operation_id = raw.split("|")
        return datetime.fromisoformat(created).astimezone(UTC), uuid.UUID(operation_id)
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise InvalidArgument("cursor is not one this service handed out") from None


async def list_operations(
    session: AsyncSession,
    organization_id: int,
    filters: OperationFilter,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[OperationRow], str | None]:
    """Newest first; (rows, cursor of the next page or None)."""
    query = _query(organization_id).order_by(Operation.created_at.desc(), Operation.id.desc())
    conditions = []
    if filters.state is not None:
        conditions.append(Operation.state == filters.state)
    if filters.kind is not None:
        conditions.append(Operation.kind == filters.kind)
    if filters.account is not None:
        conditions.append(ref_condition(filters.account, ref_value(filters.account)))
    if filters.since is not None:
        conditions.append(Operation.created_at >= filters.since)
    if filters.requested_by is not None:
        conditions.append(Operation.requested_by_token == filters.requested_by)
    if cursor is not None:
        created, operation_id = decode_cursor(cursor)
        conditions.append(
            or_(
                Operation.created_at < created,
                and_(Operation.created_at == created, Operation.id < operation_id),
            )
        )
    if conditions:
        query = query.where(*conditions)
    rows = [OperationRow(*found) for found in (await session.execute(query.limit(limit + 1))).all()]
    following = encode_cursor(rows[limit - 1].operation) if len(rows) > limit else None
    return rows[:limit], following
