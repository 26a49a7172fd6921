"""The transition table and the visibility rules, as the contract's lifecycle describes them."""

from __future__ import annotations

import pytest

from service.domain.lifecycle import (
    GONE_STATES,
    HISTORY_STATES,
    LIVE_STATES,
    PENDING_OPERATION_STATES,
    TERMINAL_OPERATION_STATES,
    TRANSITIONS,
    AccountState,
    OperationKind,
    OperationState,
    can_start,
)

S = AccountState


@pytest.mark.parametrize(
    ("kind", "source", "pending", "succeeded", "failed"),
    [
        (OperationKind.CREATE, None, S.CREATING, S.ACTIVE, S.FAILED),
        (OperationKind.DROP, S.ACTIVE, S.DROPPING, S.DROPPED, S.ACTIVE),
        (OperationKind.UNDROP, S.DROPPED, S.UNDROPPING, S.ACTIVE, S.DROPPED),
        (OperationKind.PURGE, S.DROPPED, S.PURGING, S.PURGED, S.DROPPED),
    ],
)
def test_each_kind_moves_the_account_through_the_contracts_states(
    kind: OperationKind,
    source: AccountState | None,
    pending: AccountState,
    succeeded: AccountState,
    failed: AccountState,
) -> None:
    transition = TRANSITIONS[kind]
    assert transition.kind == kind
    assert transition.source == source
    assert transition.pending == pending
    assert transition.succeeded == succeeded
    assert transition.failed == failed


def test_the_table_has_exactly_one_transition_per_operation_kind() -> None:
    assert set(TRANSITIONS) == set(OperationKind)


def test_a_create_is_allowed_only_for_an_account_that_does_not_exist_yet() -> None:
    assert can_start(OperationKind.CREATE, None) is True
    assert [s for s in AccountState if can_start(OperationKind.CREATE, s)] == []


def test_a_drop_is_allowed_only_from_active() -> None:
    assert [s for s in AccountState if can_start(OperationKind.DROP, s)] == [S.ACTIVE]
    assert can_start(OperationKind.DROP, None) is False


def test_an_undrop_is_allowed_only_from_dropped() -> None:
    assert [s for s in AccountState if can_start(OperationKind.UNDROP, s)] == [S.DROPPED]
    assert can_start(OperationKind.UNDROP, None) is False


def test_a_purge_is_allowed_only_from_dropped() -> None:
    assert [s for s in AccountState if can_start(OperationKind.PURGE, s)] == [S.DROPPED]
    assert can_start(OperationKind.PURGE, None) is False


def test_live_history_and_gone_states_split_every_account_state_exactly_once() -> None:
    assert {S.CREATING, S.ACTIVE, S.DROPPING} == LIVE_STATES
    assert {S.DROPPED, S.UNDROPPING, S.PURGING} == HISTORY_STATES
    assert {S.PURGED, S.FAILED} == GONE_STATES
    assert set(AccountState) == LIVE_STATES | HISTORY_STATES | GONE_STATES
    assert not LIVE_STATES & HISTORY_STATES
    assert not LIVE_STATES & GONE_STATES
    assert not HISTORY_STATES & GONE_STATES


def test_a_rotation_leaves_the_account_active_whatever_happens() -> None:
    rotate = TRANSITIONS[OperationKind.ROTATE]
    assert rotate.source == rotate.pending == rotate.succeeded == rotate.failed == S.ACTIVE
    assert can_start(OperationKind.ROTATE, S.ACTIVE)
    assert not can_start(OperationKind.ROTATE, S.DROPPED)


def test_a_failed_create_ends_in_a_gone_state_so_its_name_is_freed() -> None:
    assert TRANSITIONS[OperationKind.CREATE].failed == S.FAILED
    assert S.FAILED in GONE_STATES


def test_no_failed_mutation_of_an_existing_account_makes_it_disappear() -> None:
    for kind in (OperationKind.DROP, OperationKind.UNDROP, OperationKind.PURGE):
        assert TRANSITIONS[kind].failed == TRANSITIONS[kind].source
        assert TRANSITIONS[kind].failed not in GONE_STATES


def test_queued_and_running_are_pending_and_the_rest_are_terminal() -> None:
    assert {OperationState.QUEUED, OperationState.RUNNING} == PENDING_OPERATION_STATES
    assert {
        OperationState.SUCCEEDED,
        OperationState.FAILED,
        OperationState.CANCELED,
    } == TERMINAL_OPERATION_STATES
