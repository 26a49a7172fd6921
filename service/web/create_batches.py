"""Group commit for creates: the creates that arrive together share one statement, one commit
and one publish (service/coalesce.py batches them).

Each accepted create costs a durable commit (a WAL flush) and a broker push; under load, many
creates now share them. Nothing is answered before its batch has committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import structlog

from service.adapters.broker import AsyncPublisher
from service.adapters.coalesce import Coalescer
from service.adapters.hand_over_log import log_publish_failed
from service.adapters.logs import error_text
from service.domain.lifecycle import OperationKind, OperationState
from service.domain.schemas import AccountCreate
from service.store.db import HotPool
from service.usecases.accounts import AcceptContext, NewPassword, Queued, write_creates

log = structlog.get_logger(__name__)
MAX_BATCH = 128
MAX_IN_FLIGHT = 2


@dataclass(frozen=True)
class CreateRequest:
    ctx: AcceptContext
    body: AccountCreate
    password: NewPassword


class CreateBatcher:
    def __init__(
        self,
        pool: HotPool,
        publisher: AsyncPublisher,
        *,
        wait_seconds: float,
        on_batch: Callable[[int], None] | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._pool = pool
        self._publisher = publisher
        self._wait_seconds = wait_seconds
        self._batches: Coalescer[CreateRequest, Queued | None] = Coalescer(
            self._write,
            max_batch=MAX_BATCH,
            max_in_flight=max_in_flight,
            name="create-batch",
            queue_seconds=wait_seconds,
            on_batch=on_batch,
        )

    async def submit(self, request: CreateRequest) -> Queued | None:
        """The committed (and published) create, or None when its row met a unique index —
        the caller then writes it alone, which says which one (name, external id, locator).
        A database outage or timeout is raised to every request of the batch."""
        return await self._batches.submit(request)

    async def _write(self, requests: list[CreateRequest]) -> list[Queued | None]:
        try:
            async with self._pool.acquire(wait_seconds=self._wait_seconds) as connection:
                written = await write_creates(
                    connection, [(r.ctx, r.body, r.password) for r in requests]
                )
        except asyncpg.PostgresError as exc:
            if isinstance(exc, asyncpg.PostgresConnectionError):
                raise
            # Refused for another reason than a unique index (nothing was written): each request
            # is written alone, and gets its own answer.
            log.warning("create_batch.refused", size=len(requests), error=error_text(exc))
            return [None] * len(requests)
        queued = [
            Queued(OperationKind.CREATE, operation_id) if operation_id is not None else None
            for operation_id in written
        ]
        accepted = [
            (item.id, request) for item, request in zip(queued, requests, strict=True) if item
        ]
        await self._publish(
            [(operation_id, request.body.name) for operation_id, request in accepted]
        )
        _log_queued(accepted)
        return queued

    async def _publish(self, written: list[tuple[uuid.UUID, str]]) -> None:
        """One push for all; if it fails, the republish sweep sends them (they are queued)."""
        if not written:
            return
        try:
            await self._publisher.enqueue_many(OperationKind.CREATE, [op for op, _ in written])
        except Exception as exc:
            for operation_id, account in written:
                log_publish_failed(
                    log, operation_id, OperationKind.CREATE, account=account, error=error_text(exc)
                )


def _log_queued(written: list[tuple[uuid.UUID, CreateRequest]]) -> None:
    """One line for the batch's creates, each with its operation id, account and request id
    (a line per create cost ~30 µs of each)."""
    if not written:
        return
    log.info(
        "operations.queued",
        kind=OperationKind.CREATE.value,
        state=OperationState.QUEUED.value,
        count=len(written),
        operations=[
            {
                "operation_id": str(operation_id),
                "account": request.body.name,
                "request_id": request.ctx.request_id,
            }
            for operation_id, request in written
        ],
    )
