"""Comparing two inventories of an account's database, and the cut-over a move reports."""

from __future__ import annotations

from workers.drivers.moving import MoveReport, MoveStep
from workers.drivers.moving.inventory import Inventory, TableSum

SOURCE = Inventory(
    objects=("relation app.items r", "schema app"),
    tables=(TableSum("app.items", 10, "123"), TableSum("app.notes", 2, "9")),
)


def test_equal_inventories_have_no_differences() -> None:
    assert SOURCE.differences(SOURCE) == []
    assert SOURCE.rows == 12


def test_differences_name_objects_and_tables_but_no_rows() -> None:
    copy = Inventory(
        objects=("relation app.items r", "schema extra"),
        tables=(TableSum("app.items", 10, "124"),),
    )
    assert SOURCE.differences(copy) == [
        "missing schema app",
        "extra schema extra",
        "table app.items: 10 rows on both sides, with different contents",
        "table app.notes: missing there",
    ]


def test_the_cutover_is_freeze_copy_and_open() -> None:
    report = MoveReport(
        seconds={
            MoveStep.PREPARE: 5.0,
            MoveStep.FREEZE: 0.25,
            MoveStep.COPY: 2.0,
            MoveStep.OPEN: 0.25,
            MoveStep.RETIRE: 7.0,
        }
    )
    assert report.cutover_seconds == 2.5
