"""The order of a move's steps, and running them: from a given step on, undone on failure
before `open`, each step reported with its duration so an operation can record progress."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from workers.drivers.moving.mover import AccountMover, CopyReport, MoveSpec

_log = structlog.get_logger(__name__)


class MoveStep(enum.StrEnum):
    PREPARE = "prepare"
    FREEZE = "freeze"
    COPY = "copy"
    OPEN = "open"
    RETIRE = "retire"


MOVE_STEPS = tuple(MoveStep)
# From this step on the account lives on the target: a failure is retried, never undone.
POINT_OF_NO_RETURN = MoveStep.OPEN


@dataclass
class MoveReport:
    seconds: dict[MoveStep, float] = field(default_factory=dict)
    copy: CopyReport | None = None

    @property
    def cutover_seconds(self) -> float:
        """How long the account was suspended: from freeze to open, both included."""
        cut = (MoveStep.FREEZE, MoveStep.COPY, MoveStep.OPEN)
        return sum(self.seconds.get(step, 0.0) for step in cut)


def run_step(mover: AccountMover, step: MoveStep, spec: MoveSpec) -> CopyReport | None:
    if step is MoveStep.COPY:
        return mover.copy(spec)
    action: dict[MoveStep, Callable[[MoveSpec], None]] = {
        MoveStep.PREPARE: mover.prepare,
        MoveStep.FREEZE: mover.freeze,
        MoveStep.OPEN: mover.open,
        MoveStep.RETIRE: mover.retire,
    }
    action[step](spec)
    return None


def run_move(
    mover: AccountMover,
    spec: MoveSpec,
    *,
    start: MoveStep = MoveStep.PREPARE,
    done: Callable[[MoveStep], None] = lambda step: None,
) -> MoveReport:
    """Run the steps from `start` to the end, calling `done` after each.

    A failure before `open` rolls the move back (the source serves the account again) and is
    raised; should the roll-back fail too, its error is logged and the step's raised, and
    `roll_back` must be run again (it is idempotent)."""
    report = MoveReport()
    for step in MOVE_STEPS[MOVE_STEPS.index(start) :]:
        began = time.monotonic()
        try:
            outcome = run_step(mover, step, spec)
        except Exception:
            if MOVE_STEPS.index(step) < MOVE_STEPS.index(POINT_OF_NO_RETURN):
                _roll_back(mover, spec, step)
            raise
        report.seconds[step] = time.monotonic() - began
        report.copy = outcome or report.copy
        done(step)
    return report


def _roll_back(mover: AccountMover, spec: MoveSpec, failed: MoveStep) -> None:
    try:
        mover.roll_back(spec)
    except Exception as exc:
        _log.error("account_move.roll_back_failed", step=str(failed), error=str(exc))
    else:
        _log.warning("account_move.rolled_back", step=str(failed), database=spec.database)
