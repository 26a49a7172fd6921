"""The table of operations an API process answers warm polls from: trusted only while
listening, forgetting an operation on its NOTIFY, bounded in size."""

from __future__ import annotations

import uuid

from service.adapters.operation_states import OperationStates
from service.domain.lifecycle import OperationState
from service.store.results import PeekedResult

QUEUED = PeekedResult(1, None, OperationState.QUEUED, None, None, password_waiting=False)
DONE = PeekedResult(1, None, OperationState.SUCCEEDED, 200, "{}", password_waiting=True)


def listening() -> OperationStates:
    states = OperationStates(max_entries=3)
    states.listening(True)
    return states


def test_nothing_is_kept_until_the_listen_connection_is_up() -> None:
    states, operation = OperationStates(), uuid.uuid4()
    states.put(operation, QUEUED, generation=states.generation)
    assert states.get(operation) is None
    states.listening(True)
    states.put(operation, QUEUED, generation=states.generation)
    assert states.get(operation) == QUEUED
    states.listening(False)  # NOTIFYs may be lost from now on: everything goes
    assert states.get(operation) is None
    states.put(operation, QUEUED, generation=states.generation)
    assert states.get(operation) is None


def test_an_announcement_drops_the_operation_and_any_read_begun_before_it() -> None:
    states, operation, other = listening(), uuid.uuid4(), uuid.uuid4()
    states.put(operation, QUEUED, generation=states.generation)
    before = states.generation
    states.announced(str(operation))
    assert states.get(operation) is None
    states.put(operation, QUEUED, generation=before)  # read before the end: maybe stale
    assert states.get(operation) is None
    states.put(other, QUEUED, generation=before)  # another operation's read is still good
    assert states.get(other) == QUEUED
    states.put(operation, DONE, generation=states.generation)
    assert states.get(operation) == DONE
    states.announced("not-an-id")  # ignored


def test_a_read_from_before_a_reconnection_is_not_kept() -> None:
    states, operation = listening(), uuid.uuid4()
    before = states.generation
    states.listening(False)
    states.listening(True)
    states.put(operation, QUEUED, generation=before)
    assert states.get(operation) is None


def test_the_least_recently_polled_goes_first_and_a_taken_password_is_remembered() -> None:
    states = listening()
    first, second, third, fourth = (uuid.uuid4() for _ in range(4))
    for operation in (first, second, third):
        states.put(operation, DONE, generation=states.generation)
    assert states.get(first) == DONE  # polled: now the most recent
    states.put(fourth, DONE, generation=states.generation)
    assert len(states) == 3
    assert states.get(second) is None
    states.password_taken(first)
    found = states.get(first)
    assert found is not None
    assert not found.password_waiting
