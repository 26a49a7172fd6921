"""Operations this API process has read, kept current by PostgreSQL's NOTIFYs, so that a warm
poll is answered from memory.

An operation's answer changes only when it ends (queued and running both answer the same 202),
and every transaction that ends one NOTIFYs its id on `store.notifications.DONE_CHANNEL` (as does
the put-back of a password nobody could unseal). So an entry is dropped on its NOTIFY, and the
whole table while the LISTEN connection is down or being re-established (NOTIFYs sent meanwhile
are lost): then nothing is trusted and every poll reads the database, as the token cache does.
A finished operation's answer is immutable but for the one-time password hand-over, which always
goes to the database (`password_waiting` is only ever trusted to say "ask the database").
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import replace

from service.domain.identifiers import parse_uuid
from service.store.results import PeekedResult

# The least recently polled operation goes first; an entry is ~1 KiB with a finished body.
MAX_ENTRIES = 50_000
# Ids announced lately, so that a read that began before an id's NOTIFY does not store what it
# read (maybe from before the change): a read older than the oldest remembered one stores nothing.
MAX_ANNOUNCED = 4_096


class OperationStates:
    """Results by operation id; only trusted while `listening` (set by the LISTEN connection)."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[uuid.UUID, PeekedResult] = OrderedDict()
        self._trusted = False
        # Bumped by every NOTIFY and every change of the connection; a read remembers the
        # generation it began in.
        self.generation = 0
        self._announced: OrderedDict[uuid.UUID, int] = OrderedDict()
        self._remembered_since = 0  # announcements before this generation are forgotten

    def get(self, operation_id: uuid.UUID) -> PeekedResult | None:
        found = self._entries.get(operation_id)
        if found is not None:
            self._entries.move_to_end(operation_id)
        return found

    def put(self, operation_id: uuid.UUID, result: PeekedResult, *, generation: int) -> None:
        """Keep `result`, read from the database by a read that began in `generation`, unless
        the connection changed or the operation was announced since then."""
        if not self._trusted or generation < self._remembered_since:
            return
        announced_at = self._announced.get(operation_id)
        if announced_at is not None and announced_at > generation:
            return
        self._entries[operation_id] = result
        self._entries.move_to_end(operation_id)
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def password_taken(self, operation_id: uuid.UUID) -> None:
        """This process handed the generated password over: no later read gets it."""
        found = self._entries.get(operation_id)
        if found is not None and found.password_waiting:
            self._entries[operation_id] = replace(found, password_waiting=False)

    def announced(self, payload: str) -> None:
        """An operation ended (a NOTIFY on DONE_CHANNEL carrying its id)."""
        operation_id = parse_uuid(payload)
        if operation_id is None:
            return
        self.generation += 1
        self._entries.pop(operation_id, None)
        self._announced[operation_id] = self.generation
        self._announced.move_to_end(operation_id)
        if len(self._announced) > MAX_ANNOUNCED:
            _, forgotten_at = self._announced.popitem(last=False)
            self._remembered_since = forgotten_at

    def listening(self, listening: bool) -> None:
        """The LISTEN connection came up or went down: either way, start from nothing."""
        self.generation += 1
        self._trusted = listening
        self._entries.clear()
        self._announced.clear()
        self._remembered_since = self.generation

    def __len__(self) -> int:
        return len(self._entries)
