"""Results read from the operations table: many polls in one query, a password handed over once."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Text,
    Uuid,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from service.domain.errors import Internal
from service.domain.lifecycle import TERMINAL_OPERATION_STATES, OperationState
from service.domain.passwords import PasswordSeal, SealingError
from service.domain.results import ResultResponse, render_answer
from service.store.compiled import compile_hot
from service.store.db import HotPool
from service.store.models import Operation, operations_table
from service.store.notifications import DONE_CHANNEL

# The operations many concurrent polls ask for, in one query (each poll is one of `wanted`).
_WANTED = (
    func.unnest(
        bindparam("ids", type_=ARRAY(Uuid)),
        bindparam("organization_ids", type_=ARRAY(BigInteger)),
        bindparam("tokens", type_=ARRAY(Uuid)),
    )
    .table_valued(
        column("id", Uuid),
        column("organization_id", BigInteger),
        column("token", Uuid),
        with_ordinality="position",
    )
    .render_derived(name="wanted")
)
_PEEK = compile_hot(
    select(
        _WANTED.c.position,
        Operation.organization_id,
        Operation.requested_by_token,
        Operation.state,
        Operation.response_status,
        Operation.response_body,
        and_(Operation.sealed_password.is_not(None), ~Operation.password_given).label(
            "password_waiting"
        ),
    ).join_from(
        _WANTED,
        Operation,
        and_(
            Operation.id == _WANTED.c.id,
            # The organization's operations, and those the caller's token requested (a fleet
            # admin's move of another organization's account).
            or_(
                Operation.organization_id == _WANTED.c.organization_id,
                Operation.requested_by_token == _WANTED.c.token,
            ),
        ),
    )
)


@dataclass(frozen=True, slots=True)
class PeekedResult:
    organization_id: int
    requested_by: uuid.UUID | None  # the token that asked for it
    state: OperationState
    response_status: int | None
    response_body: str | None
    password_waiting: bool

    def readable_by(self, organization_id: int, token_id: uuid.UUID | None) -> bool:
        """What the peek's join allows: the organization's own, or what the token asked."""
        return self.organization_id == organization_id or (
            token_id is not None and self.requested_by == token_id
        )


Wanted = tuple[uuid.UUID, int, uuid.UUID | None]


async def peek_results(
    pool: HotPool, wanted: list[Wanted], *, wait_seconds: float
) -> list[PeekedResult | None]:
    """For each (operation id, organization id, token id), its result as it stands, or None
    when the organization has no such operation and the token requested none; one query."""
    async with pool.acquire(wait_seconds=wait_seconds) as connection:
        rows = await connection.fetch(
            _PEEK.sql,
            *_PEEK.arguments(
                {
                    "ids": [ids for ids, _, _ in wanted],
                    "organization_ids": [o for _, o, _ in wanted],
                    "tokens": [token for _, _, token in wanted],
                }
            ),
        )
    found: list[PeekedResult | None] = [None] * len(wanted)
    for row in rows:
        found[row["position"] - 1] = PeekedResult(
            row["organization_id"],
            row["requested_by_token"],
            OperationState(row["state"]),
            row["response_status"],
            row["response_body"],
            row["password_waiting"],
        )
    return found


# A generated password handed over once: the row is locked, the sealed password taken and
# cleared in one statement that commits on its own before the answer leaves (one round trip: an
# explicit transaction of four made the end-to-end create ~4 ms slower). A second caller waits
# for the lock, then finds it cleared (no row) and reads the result without it.
_TAKEN = (
    select(Operation.id, Operation.sealed_password)
    .where(
        Operation.id == bindparam("operation_id"),
        Operation.organization_id == bindparam("organization_id"),
        Operation.state.in_(
            bindparam("terminal", sorted(TERMINAL_OPERATION_STATES), literal_execute=True)
        ),
        Operation.sealed_password.is_not(None),
        ~Operation.password_given,
    )
    .with_for_update()
    .cte("taken")
)
_HAND_OVER = compile_hot(
    update(operations_table)
    .where(operations_table.c.id == _TAKEN.c.id)
    .values(sealed_password=null())
    .returning(
        _TAKEN.c.sealed_password,
        operations_table.c.state,
        operations_table.c.response_status,
        operations_table.c.response_body,
    )
)
# Puts back a password this process could not unseal (another SECRET_KEY, say halfway through
# a rolling deploy), for a process that can; the NOTIFY makes API processes that read the result
# meanwhile (no password waiting) forget it (service/adapters/operation_states.py).
_PUT_BACK_ROW = (
    update(operations_table)
    .where(
        operations_table.c.id == bindparam("operation_id"),
        operations_table.c.sealed_password.is_(None),
        ~operations_table.c.password_given,
    )
    .values(sealed_password=bindparam("sealed"))
    .returning(operations_table.c.id)
    .cte("put_back")
)
_PUT_BACK = compile_hot(
    select(
        func.pg_notify(literal(DONE_CHANNEL, literal_execute=True), cast(_PUT_BACK_ROW.c.id, Text))
    )
)


async def hand_over_password(
    pool: HotPool,
    organization_id: int,
    operation_id: uuid.UUID,
    seal: PasswordSeal,
    *,
    wait_seconds: float,
) -> ResultResponse | None:
    """The finished result with its generated password, taken from the row for good; None when
    another caller took it first (the plain read then shows it as null)."""
    async with pool.acquire(wait_seconds=wait_seconds) as connection:
        row = await connection.fetchrow(
            _HAND_OVER.sql,
            *_HAND_OVER.arguments(
                {"operation_id": operation_id, "organization_id": organization_id}
            ),
        )
        if row is None:
            return None
        try:
            password = seal.open(row["sealed_password"])
        except SealingError as exc:
            await connection.execute(
                _PUT_BACK.sql,
                *_PUT_BACK.arguments(
                    {"operation_id": operation_id, "sealed": row["sealed_password"]}
                ),
            )
            raise Internal(
                "the generated password cannot be unsealed with this SECRET_KEY; "
                "rotate the credentials (POST /api/v2/accounts/{name}:rotateCredentials)"
            ) from exc
    body = json.loads(row["response_body"]) if row["response_body"] is not None else None
    return render_answer(
        operation_id, OperationState(row["state"]), row["response_status"], body, password
    )
