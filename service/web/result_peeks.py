"""Polls answered from the process's table of operations when it knows them
(service/adapters/operation_states.py), else read together: one query and one pooled connection
for all the polls in flight instead of one each (most of a poll's database cost was per query)."""

from __future__ import annotations

import json

from service.adapters.coalesce import Coalescer
from service.adapters.operation_states import OperationStates
from service.domain.errors import NotFound
from service.domain.identifiers import parse_uuid
from service.domain.lifecycle import TERMINAL_OPERATION_STATES
from service.domain.results import ResultResponse, render_answer
from service.store.db import HotPool
from service.store.results import PeekedResult, Wanted, peek_results

MAX_PEEKS_PER_QUERY = 256


class ResultPeeks:
    def __init__(self, pool: HotPool, *, wait_seconds: float) -> None:
        self._pool = pool
        # Trusted once the LISTEN connection subscribes `states` (service/web/app.py).
        self.states = OperationStates()
        self._wait_seconds = wait_seconds
        self._reads: Coalescer[Wanted, PeekedResult | None] = Coalescer(
            self._read_many,
            max_batch=MAX_PEEKS_PER_QUERY,
            max_in_flight=2,
            name="result-peeks",
            queue_seconds=wait_seconds,
        )

    async def peek(
        self,
        organization_id: int,
        handle: str,
        *,
        may_receive_password: bool,
        token_id: str = "",
        fresh: bool = False,
    ) -> ResultResponse | None:
        """The result from a plain read — what every poll before the end gets — or None when a
        generated password waits for this caller: `hand_over_password` gives it, once. The
        organization's results are read, and those of operations the token `token_id` asked;
        `fresh` reads the database even when the table knows the operation."""
        operation_id = parse_uuid(handle)
        if operation_id is None:
            raise _missing(handle)
        peeked = None if fresh else self.states.get(operation_id)
        if peeked is None:
            generation = self.states.generation
            peeked = await self._reads.submit((operation_id, organization_id, parse_uuid(token_id)))
            if peeked is None:
                raise _missing(handle)
            self.states.put(operation_id, peeked, generation=generation)
        elif peeked.organization_id != organization_id and not peeked.readable_by(
            organization_id, parse_uuid(token_id)
        ):
            raise _missing(handle)
        terminal = peeked.state in TERMINAL_OPERATION_STATES
        if peeked.password_waiting and may_receive_password and terminal:
            return None
        body = json.loads(peeked.response_body) if peeked.response_body is not None else None
        return render_answer(operation_id, peeked.state, peeked.response_status, body, None)

    async def _read_many(self, wanted: list[Wanted]) -> list[PeekedResult | None]:
        return await peek_results(self._pool, wanted, wait_seconds=self._wait_seconds)


def _missing(handle: str) -> NotFound:
    return NotFound(f"result {handle} does not exist")
