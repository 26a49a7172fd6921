"""An operation's success recorded in one statement: its row, its account's, the NOTIFY.

The statement of each kind is generated from the lifecycle table (`TRANSITIONS` for the
account's new state, `SUCCESS_STAMPS` for the columns success writes besides it): the values
are computed by the same function the ORM path uses (`stamped_values`), so the rules exist
once. Through the ORM the same outcome cost a locked re-read of the account, two UPDATEs and a
NOTIFY: four round trips, and a third of a worker's CPU per operation.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Text, bindparam, case, cast, delete, func, null, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Select

from service.domain.lifecycle import SUCCESS_STAMPS, TRANSITIONS, OperationKind, OperationState
from service.store.compiled import constant
from service.store.models import accounts_table, operations_table, progress_table
from service.store.notifications import DONE_CHANNEL

_ops = operations_table.c
_OPERATION_ID = bindparam("operation_id", type_=operations_table.c.id.type)


def succeeded_values(sealed_password: Any) -> dict[str, Any]:
    """What a success writes on an operation's row (`body` and `now` bound by the caller)."""
    return {
        "state": constant(OperationState.SUCCEEDED.value),
        "response_status": constant(200),
        "response_body": bindparam("body", type_=JSONB),
        "finished_at": bindparam("now"),
        "password_verifier": null(),
        "sealed_password": sealed_password,
    }


def _succeed(kind: OperationKind) -> Select[Any]:
    done = (
        update(operations_table)
        .where(_ops.id == _OPERATION_ID)
        # A generated password is kept (sealed) until its result hands it over, once.
        .values(succeeded_values(case((_ops.password_given, null()), else_=_ops.sealed_password)))
        .returning(_ops.account_id)
        .cte("done")
    )
    stamps = {
        column: bindparam(column, type_=accounts_table.c[column].type)
        for column in SUCCESS_STAMPS[kind]
    }
    account = (
        update(accounts_table)
        .where(accounts_table.c.id == done.c.account_id)
        .values(state=constant(TRANSITIONS[kind].succeeded.value), updated_on=func.now(), **stamps)
        .returning(accounts_table.c.id)
        .cte("account")
    )
    progress = delete(progress_table).where(progress_table.c.operation_id == _OPERATION_ID)
    return select(
        func.pg_notify(constant(DONE_CHANNEL), cast(_OPERATION_ID, Text)),
        select(func.count()).select_from(account).scalar_subquery(),
    ).add_cte(progress.cte("progress"))


# Only the kinds whose success is data (UPDATE and MOVE apply their request: the ORM path).
_SUCCEED = {kind: _succeed(kind) for kind in SUCCESS_STAMPS}
ONE_STATEMENT_KINDS = frozenset(_SUCCEED)


def record_success(
    session: Session,
    kind: OperationKind,
    operation_id: uuid.UUID,
    *,
    body: dict[str, Any],
    stamps: dict[str, Any],
    now: datetime,
) -> None:
    """The operation (whose row this transaction holds) succeeded; waiters are told at commit."""
    values = {"operation_id": operation_id, "body": body, "now": now, **stamps}
    _, accounts = session.execute(_SUCCEED[kind], values).one()
    if accounts != 1:  # pragma: no cover - FK-protected
        raise RuntimeError(f"operation {operation_id} lost its account")
