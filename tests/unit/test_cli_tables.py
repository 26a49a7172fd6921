"""CLI tables in a narrow terminal: columns are dropped or cut with "…", never folded."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console, RenderableType

from service.client.dashboard import screen
from service.client.render import accounts_table, operations_table
from tests.unit.test_queues_screen import REPORT

LONG_NAME = "A_VERY_LONG_ACCOUNT_NAME_FOR_THE_MARKETING_DEPARTMENT"
LONG_ACCOUNT = "MARKETING_ANALYTICS_PRODUCTION"
LONG_ERROR = "injected failure for create:FAIL_X because the tenant cluster refused the connection"
HANDLES = ["8b3e1ea7-8526-4452-9bb9-78f661cadc60", "0c5d2f10-1b2c-4d3e-8f90-a1b2c3d4e5f6"]
ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": LONG_NAME,
        "state": "ACTIVE",
        "edition": "BUSINESS_CRITICAL",
        "region": "AWS_EU_CENTRAL_1",
        "account_locator": "XY12345",
        "created_on": "2026-11-23T12:00:00+00:00",
        "scheduled_deletion_time": None,
    },
    {
        "name": "SHORT",
        "state": "DROPPED",
        "edition": "STANDARD",
        "region": "AWS_US_WEST_2",
        "account_locator": "AB1",
        "created_on": "2026-11-23T12:00:00+00:00",
        "scheduled_deletion_time": "2026-11-26T12:00:00+00:00",
    },
]
OPERATIONS: list[dict[str, Any]] = [
    {
        "id": HANDLES[0],
        "kind": "create",
        "account": LONG_ACCOUNT,
        "state": "failed",
        "error": {"message": LONG_ERROR},
        "attempts": 5,
        "created_on": "2026-11-23T12:00:00+00:00",
    },
    {
        "id": HANDLES[1],
        "kind": "drop",
        "account": "SHORT",
        "state": "running",
        "step": "revoke_logins",
        "attempts": 1,
        "created_on": "2026-11-23T12:00:00+00:00",
    },
]


def rendered(renderable: RenderableType, width: int) -> list[str]:
    console = Console(record=True, width=width)
    console.print(renderable)
    lines = console.export_text().splitlines()
    assert all(len(line.rstrip()) <= width for line in lines)
    return lines


def cells(lines: list[str], border: str) -> list[list[str]]:
    """Each line of a table's header (border ┃) or body (│), split into its cells."""
    return [
        [cell.strip() for cell in line.strip().strip(border).split(border)]
        for line in lines
        if line.startswith(border)
    ]


def assert_whole_or_cut(shown: str, value: str) -> None:
    """A value is shown whole or cut short with "…": never folded onto another line."""
    assert shown == value or (shown.endswith("…") and value.startswith(shown[:-1])), (shown, value)


@pytest.mark.parametrize("width", [80, 120])
def test_accounts_keep_name_and_state_whole_and_drop_the_least_useful_first(width: int) -> None:
    lines = rendered(accounts_table(ACCOUNTS), width)
    (header,) = cells(lines, "┃")
    rows = cells(lines, "│")
    assert header[:2] == ["NAME", "STATE"]
    assert "LOCATOR" not in header  # the first to go
    assert len(rows) == len(ACCOUNTS)  # one line each: nothing folded
    for row, account in zip(rows, ACCOUNTS, strict=True):
        assert row[:2] == [account["name"], account["state"]]
    if width == 120:
        assert header == ["NAME", "STATE", "EDITION", "DELETION"]
        assert [row[2] for row in rows] == ["BUSINESS_CRITICAL", "STANDARD"]
    else:  # the long name leaves no room for the edition
        assert header == ["NAME", "STATE"]


def test_accounts_show_every_column_when_there_is_room() -> None:
    (header,) = cells(rendered(accounts_table(ACCOUNTS), 200), "┃")
    assert header == ["NAME", "STATE", "EDITION", "REGION", "LOCATOR", "CREATED", "DELETION"]


@pytest.mark.parametrize("width", [80, 120])
def test_operations_keep_the_handle_whole_and_cut_long_text(width: int) -> None:
    lines = rendered(operations_table(OPERATIONS), width)
    (header,) = cells(lines, "┃")
    rows = cells(lines, "│")
    assert header[:4] == ["ID", "KIND", "ACCOUNT", "STATE"]
    assert len(rows) == len(OPERATIONS)
    for row, operation in zip(rows, OPERATIONS, strict=True):
        assert (row[0], row[1], row[3]) == (operation["id"], operation["kind"], operation["state"])
        assert_whole_or_cut(row[2], operation["account"])
    if width == 120:  # room for the long account name and the start of the error
        assert rows[0][2] == LONG_ACCOUNT
        assert header[4] == "STEP / ERROR"
        assert_whole_or_cut(rows[0][4], LONG_ERROR)
        assert rows[1][4] == "revoke_logins"


def test_operations_cut_only_the_account_when_even_the_essentials_are_too_wide() -> None:
    lines = rendered(operations_table(OPERATIONS), 80)
    (header,) = cells(lines, "┃")
    rows = cells(lines, "│")
    assert header == ["ID", "KIND", "ACCOUNT", "STATE"]
    assert rows[0][2] != LONG_ACCOUNT
    assert rows[0][2].endswith("…")
    assert rows[1][2] == "SHORT"


def test_the_queues_screen_fits_80_columns_without_folding() -> None:
    report: dict[str, Any] = {
        **REPORT,
        "workers": [{**REPORT["workers"][0], "name": "provisioner@" + "worker-host." * 5}],
        "stuck": [{**REPORT["stuck"][0], "account": LONG_NAME}],
    }
    lines = rendered(screen(report, "header"), 80)
    text = "\n".join(lines)
    rows = cells(lines, "│")
    # A queue, a worker, two kinds of operations, a purge, a stuck operation, a cluster and an
    # account over its limit: a line each.
    assert len(rows) == 8
    (worker,) = (row for row in rows if row[0].startswith("provisioner@"))
    assert_whole_or_cut(worker[0], report["workers"][0]["name"])
    (stuck,) = (row for row in rows if row[0] == HANDLES[0])
    assert_whole_or_cut(stuck[-2], LONG_NAME)
    assert stuck[-1] == "6 min 0 s ago"
    assert "provisioner │ 7     │ 2       │ 1 min 35 s" in text
