"""Account and operation states, operation kinds and the transition table; pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccountState(StrEnum):
    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    DROPPING = "DROPPING"
    DROPPED = "DROPPED"
    UNDROPPING = "UNDROPPING"
    PURGING = "PURGING"
    PURGED = "PURGED"
    FAILED = "FAILED"


class OperationKind(StrEnum):
    CREATE = "create"
    DROP = "drop"
    UNDROP = "undrop"
    PURGE = "purge"
    ROTATE = "rotate"
    UPDATE = "update"
    MOVE = "move"


class OperationState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


PENDING_OPERATION_STATES: frozenset[OperationState] = frozenset(
    {OperationState.QUEUED, OperationState.RUNNING}
)
TERMINAL_OPERATION_STATES: frozenset[OperationState] = frozenset(
    {OperationState.SUCCEEDED, OperationState.FAILED, OperationState.CANCELED}
)

# Accounts in these states no longer exist for anybody: they hold no name and appear nowhere.
GONE_STATES: frozenset[AccountState] = frozenset({AccountState.PURGED, AccountState.FAILED})
# Listed without `history=true`.
LIVE_STATES: frozenset[AccountState] = frozenset(
    {AccountState.CREATING, AccountState.ACTIVE, AccountState.DROPPING}
)
# Listed only with `history=true` (dropped, not yet purged).
HISTORY_STATES: frozenset[AccountState] = frozenset(
    {AccountState.DROPPED, AccountState.UNDROPPING, AccountState.PURGING}
)

# An account in these states counts as "no active account" for a drop with `ifExists=true`.
NOT_ACTIVE_STATES: frozenset[AccountState] = frozenset(
    {AccountState.DROPPING, AccountState.DROPPED, AccountState.PURGING}
)
# A drop keeps the account this many days (`gracePeriodInDays`) before the purge.
MIN_GRACE_DAYS = 3
MAX_GRACE_DAYS = 90


@dataclass(frozen=True)
class Transition:
    """What one operation kind does to an account.

    `source` is the state the account must be in when the operation is accepted (None: the
    account is new), `pending` the state while the operation is in flight, and `succeeded` /
    `failed` the state the worker leaves it in.
    """

    kind: OperationKind
    source: AccountState | None
    pending: AccountState
    succeeded: AccountState
    failed: AccountState


TRANSITIONS: dict[OperationKind, Transition] = {
    t.kind: t
    for t in (
        Transition(
            OperationKind.CREATE,
            None,
            AccountState.CREATING,
            AccountState.ACTIVE,
            AccountState.FAILED,
        ),
        Transition(
            OperationKind.DROP,
            AccountState.ACTIVE,
            AccountState.DROPPING,
            AccountState.DROPPED,
            AccountState.ACTIVE,
        ),
        Transition(
            OperationKind.UNDROP,
            AccountState.DROPPED,
            AccountState.UNDROPPING,
            AccountState.ACTIVE,
            AccountState.DROPPED,
        ),
        Transition(
            OperationKind.PURGE,
            AccountState.DROPPED,
            AccountState.PURGING,
            AccountState.PURGED,
            AccountState.DROPPED,
        ),
        # A credential rotation or an update leaves the account ACTIVE throughout.
        Transition(
            OperationKind.ROTATE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
        ),
        Transition(
            OperationKind.UPDATE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
        ),
        # A move to another cluster too: the login is suspended only during the cut-over.
        Transition(
            OperationKind.MOVE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
            AccountState.ACTIVE,
        ),
    )
}


def can_start(kind: OperationKind, state: AccountState | None) -> bool:
    """Whether an operation of `kind` may be accepted for an account in `state`."""
    return TRANSITIONS[kind].source == state


class Stamp(StrEnum):
    """A value a successful operation writes into one of its account's columns."""

    NOW = "now"  # the time the outcome is recorded
    CLEARED = "cleared"  # no value
    GRACE_END = "grace_end"  # that time plus the request's `grace_period_days`
    REPORTED = "reported"  # what the driver reported for the column (an account URL)


# What success writes onto the account besides its state (`TRANSITIONS[kind].succeeded`). The
# kinds listed here and ROTATE write nothing else; UPDATE and MOVE also apply their request.
SUCCESS_STAMPS: dict[OperationKind, dict[str, Stamp]] = {
    OperationKind.CREATE: {"account_url": Stamp.REPORTED, "account_locator_url": Stamp.REPORTED},
    OperationKind.DROP: {"dropped_on": Stamp.NOW, "scheduled_deletion_time": Stamp.GRACE_END},
    OperationKind.UNDROP: {
        "restored_on": Stamp.NOW,
        "dropped_on": Stamp.CLEARED,
        "scheduled_deletion_time": Stamp.CLEARED,
    },
    OperationKind.PURGE: {"purged_on": Stamp.NOW},
    OperationKind.ROTATE: {},
}
