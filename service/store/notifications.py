"""The channels the control database NOTIFYs on, and the statement that announces an end."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Text, bindparam, cast, delete, func, literal, select

from service.store.models import OperationProgress

# Sent (with the operation id) in the transaction that makes an operation terminal; waiters
# (`wait=N`) LISTEN on it.
DONE_CHANNEL = "provisioner_operation_done"
# The trigger of migration 0008 sends a token's hash on this channel when its row changes.
TOKEN_CHANNEL = "provisioner_token_changed"  # noqa: S105 - a channel name, not a secret

_OPERATION_ID = bindparam("operation_id", type_=OperationProgress.operation_id.type)
# Run in the transaction that ends an operation: waiters are told at its commit, and the
# operation's progress row goes with it.
ANNOUNCE_DONE = select(
    func.pg_notify(literal(DONE_CHANNEL, literal_execute=True), cast(_OPERATION_ID, Text))
).add_cte(
    delete(OperationProgress).where(OperationProgress.operation_id == _OPERATION_ID).cte("progress")
)


def announced(operation_id: uuid.UUID) -> dict[str, Any]:
    """ANNOUNCE_DONE's bind values."""
    return {"operation_id": operation_id}
