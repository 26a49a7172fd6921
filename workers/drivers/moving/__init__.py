"""Moving one account's database, with its data and its login's password, between clusters."""

from __future__ import annotations

from workers.drivers.moving.mover import AccountMover, CopyReport, MoveSpec
from workers.drivers.moving.steps import (
    MOVE_STEPS,
    POINT_OF_NO_RETURN,
    MoveReport,
    MoveStep,
    run_move,
    run_step,
)

__all__ = [
    "MOVE_STEPS",
    "POINT_OF_NO_RETURN",
    "AccountMover",
    "CopyReport",
    "MoveReport",
    "MoveSpec",
    "MoveStep",
    "run_move",
    "run_step",
]
