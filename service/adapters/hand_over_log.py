"""The log lines of an operation's hand-over to the workers, wherever it was queued."""

from __future__ import annotations

import uuid
from typing import Any

from service.domain.lifecycle import OperationKind, OperationState


def log_queued(log: Any, operation_id: uuid.UUID, kind: OperationKind, **about: Any) -> None:
    """The line every queued operation gets (API, scans)."""
    log.info(
        "operation.queued",
        operation_id=str(operation_id),
        kind=kind.value,
        state=OperationState.QUEUED.value,
        **about,
    )


def log_publish_failed(
    log: Any, operation_id: uuid.UUID, kind: OperationKind, **about: Any
) -> None:
    """A committed operation not handed over: the republish sweep will send it."""
    fields = {"operation_id": str(operation_id), "kind": kind.value, **about}
    log.warning("operation.publish_failed", **fields)
