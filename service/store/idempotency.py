"""Idempotency keys: the same key and request within 24 h gets the first answer, once.

The key is reserved by an `INSERT … ON CONFLICT` in the accept transaction itself: a concurrent
request with the same key waits for that transaction, then sees its stored answer (or, if it
rolled back, takes the key over).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from service.domain.errors import Conflict, InvalidArgument
from service.domain.passwords import PasswordSeal
from service.domain.results import ResultResponse
from service.store.models import IdempotencyKey

HEADER = "Idempotency-Key"
WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def validate_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not value.isascii() or not value.isprintable():
        raise InvalidArgument(f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters")
    return value


def fingerprint(seal: PasswordSeal, request: dict[str, Any]) -> str:
    """A keyed digest of what the request asks for (keyed: bodies may carry a password)."""
    return seal.digest(json.dumps(request, sort_keys=True, separators=(",", ":")).encode())


async def reserve(
    session: AsyncSession, organization_id: int, key: str, request_fingerprint: str
) -> ResultResponse | None:
    """Reserve `key` for this request (None), or the answer stored for an earlier one."""
    stale = IdempotencyKey.created_at < func.now() - WINDOW
    statement = (
        insert(IdempotencyKey)
        .values(organization_id=organization_id, key=key, fingerprint=request_fingerprint)
        .on_conflict_do_update(
            index_elements=[IdempotencyKey.organization_id, IdempotencyKey.key],
            set_={
                "fingerprint": request_fingerprint,
                "response_status": None,
                "response_body": None,
                "response_headers": None,
                "created_at": func.now(),
            },
            where=stale,
        )
        .returning(IdempotencyKey.key)
    )
    if (await session.execute(statement)).scalar_one_or_none() is not None:
        return None
    stored = (
        await session.execute(
            select(IdempotencyKey)
            .where(IdempotencyKey.organization_id == organization_id, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if stored.fingerprint != request_fingerprint:
        raise Conflict(
            f"{HEADER} {key!r} was already used with a different request; "
            "use a new key for a new request"
        )
    if stored.response_status is None:  # pragma: no cover - reserved rows commit with an answer
        raise Conflict(f"a request with {HEADER} {key!r} is still being accepted; retry")
    return ResultResponse(
        stored.response_status,
        dict(stored.response_body or {}),
        dict(stored.response_headers or {}),
    )


async def remember(
    session: AsyncSession, organization_id: int, key: str, answer: ResultResponse
) -> None:
    stored = await session.get(IdempotencyKey, (organization_id, key))
    if stored is None:  # pragma: no cover - reserved earlier in this transaction
        raise RuntimeError(f"idempotency key {key!r} was not reserved")
    stored.response_status = answer.status
    stored.response_body = answer.body
    stored.response_headers = answer.headers


def forget_expired(session: Session) -> int:
    """Delete the keys older than the window (a beat job)."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < func.now() - WINDOW)
    )
    return int(getattr(result, "rowcount", 0) or 0)
