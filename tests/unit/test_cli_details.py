"""`accounts get` and `ops show | list` print nested objects and who asked as readable lines,
never as Python dicts."""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType

from service.client.account_details import account_details, owner_line, plan_table, size
from service.client.render import operation_details, operations_table

ACCOUNT_ID = "6f1c2f0e-3f55-4b8e-9a57-0d3b6a3c1e2f"
TOKEN_ID = "0c5d2f10-1b2c-4d3e-8f90-a1b2c3d4e5f6"
ACCOUNT: dict[str, Any] = {
    "organization_name": "MY_ORG",
    "name": "MY_ACCT",
    "id": ACCOUNT_ID,
    "edition": "STANDARD",
    "created_on": "2026-11-23T10:21:43.296114+00:00",
    "updated_on": "2026-11-24T08:00:00+00:00",
    "state": "ACTIVE",
    "external_id": "crm-7",
    "usage": {
        "storage_bytes": 3 * 1024**3 // 2,
        "connections": 3,
        "measured_on": "2026-11-24T09:00:00+00:00",
    },
    "limits": {"connections": 10, "storage_bytes": 10 * 1024**3},
    "over_limit": {"reason": "storage", "since": "2026-11-24T09:00:00+00:00"},
    "owner": {"admin_name": "ADA", "email": "ada@example.com", "first_name": "Ada",
              "last_name": "Lovelace"},
    "dropped_on": None,
}  # fmt: skip


def text(renderable: RenderableType) -> str:
    console = Console(record=True, width=200)
    console.print(renderable)
    return console.export_text()


def lines_of(renderable: RenderableType) -> dict[str, str]:
    """A two-column table's rows: first cell to the rest of the line."""
    rows = {}
    for line in text(renderable).splitlines():
        key, _, value = line.strip().partition("  ")
        rows[key] = value.strip()
    return rows


def test_an_account_shows_owner_usage_against_limits_and_why_it_is_over() -> None:
    shown = lines_of(account_details(ACCOUNT))
    assert list(shown)[:4] == ["name", "id", "state", "edition"]
    assert shown["id"] == ACCOUNT_ID
    assert shown["owner"] == "Ada Lovelace <ada@example.com>, administrator ADA"
    assert shown["connections"] == "3 of 10"
    assert shown["storage"] == "1.5 GiB of 10.0 GiB"
    assert shown["measured"] == "2026-11-24 09:00:00"
    assert shown["over limit"] == "storage since 2026-11-24 09:00:00"
    assert shown["updated_on"] == "2026-11-24 08:00:00"
    assert not {"usage", "limits", "over_limit"} & set(shown)
    assert "{" not in text(account_details(ACCOUNT))


def test_an_account_never_measured_or_seen_by_a_viewer_says_so() -> None:
    viewer = {k: v for k, v in ACCOUNT.items() if k not in {"owner", "usage", "over_limit"}}
    shown = lines_of(account_details(viewer))
    assert "owner" not in shown
    assert shown["connections"] == "? of 10"
    assert shown["storage"] == "? of 10.0 GiB"
    assert shown["measured"].startswith("not yet")


def test_owner_lines_and_sizes_show_what_was_given() -> None:
    assert owner_line({"admin_name": "ADA", "email": "a@x.io"}) == "a@x.io, administrator ADA"
    assert owner_line({"first_name": "Ada", "email": None}) == "Ada"
    assert owner_line(None) is None
    assert (size(512), size(2048), size(None)) == ("512 bytes", "2.0 KiB", "?")


OPERATION: dict[str, Any] = {
    "id": "8b3e1ea7-8526-4452-9bb9-78f661cadc60",
    "kind": "drop",
    "account": "MY_ACCT",
    "account_id": ACCOUNT_ID,
    "state": "succeeded",
    "attempts": 1,
    "created_on": "2026-11-23T12:00:00+00:00",
    "requested_by": {"token_id": TOKEN_ID, "description": "ci deploys"},
}


def test_operations_say_who_asked_and_name_the_account_id() -> None:
    shown = lines_of(operation_details(OPERATION))
    assert shown["account id"] == ACCOUNT_ID
    assert shown["requested by"] == f"ci deploys (token {TOKEN_ID})"
    scheduled = lines_of(operation_details({**OPERATION, "requested_by": None}))
    assert scheduled["requested by"] == "the service"
    table = text(operations_table([OPERATION, {**OPERATION, "requested_by": None}]))
    assert "BY" in table
    assert "ci deploys" in table
    assert "the service" in table
    assert "{" not in table


def test_a_plan_shows_each_limit_with_its_usage_and_a_flag() -> None:
    plan: dict[str, Any] = {
        "id": ACCOUNT_ID,
        "name": "MY_ACCT",
        "edition": "STANDARD",
        "measured_on": "2026-11-24T09:00:00+00:00",
        "limits": [
            {"name": "connections", "limit": 10, "used": 9, "over": False, "near": True},
            {"name": "storage_bytes", "limit": 1024**3, "used": 3 * 1024**3 // 2, "over": True,
             "near": True},
        ],
    }  # fmt: skip
    shown = text(plan_table(plan))
    assert "MY_ACCT · STANDARD · measured 2026-11-24 09:00:00" in shown
    rows = [line.split("│")[1:-1] for line in shown.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["connections", "10", "9", "near"],
        ["storage bytes", "1.0 GiB", "1.5 GiB", "over"],
    ]
    never = {**plan, "measured_on": None, "limits": [{**plan["limits"][0], "used": None,
             "over": False, "near": False}]}  # fmt: skip
    assert "not measured yet" in text(plan_table(never))
