"""Human output: accounts, operations and credentials as rich tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from service.client.tables import Column, FittedTable, Heading, table_of
from service.domain.lifecycle import AccountState, OperationState

SUCCEEDED = OperationState.SUCCEEDED.value
_STATE_STYLES: dict[str, str] = {
    OperationState.QUEUED: "yellow",
    OperationState.RUNNING: "cyan",
    OperationState.SUCCEEDED: "green",
    OperationState.FAILED: "red",
    OperationState.CANCELED: "magenta",
    AccountState.ACTIVE: "green",
    AccountState.DROPPED: "yellow",
    AccountState.FAILED: "red",
}


def moment(value: str | None) -> str:
    """An RFC 3339 time as `YYYY-MM-DD HH:MM:SS` (UTC as the API gives it), or empty."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 10:  # noqa: PLR2004 - below 10 s a decimal is worth showing
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def state(value: str) -> Text:
    return Text(value, style=_STATE_STYLES.get(value, ""))


def details(fields: dict[str, Any]) -> Table:
    """A two-column table of fields; unset ones are left out."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in fields.items():
        if value is not None and value != "":
            table.add_row(key, value if isinstance(value, Text) else str(value))
    return table


_ACCOUNT_COLUMNS = (
    Column("NAME", lambda account: account["name"]),
    Column("STATE", lambda account: state(account["state"])),
    Column(Heading("EDITION", drop=1), lambda account: account.get("edition", "")),
    Column(Heading("REGION", drop=4), lambda account: account.get("region", "")),
    Column(Heading("LOCATOR", drop=5), lambda account: account.get("account_locator", "")),
    Column(Heading("CREATED", drop=3), lambda account: moment(account.get("created_on"))),
    Column(
        Heading("DELETION", drop=2),
        lambda account: moment(account.get("scheduled_deletion_time")),
    ),
)


def accounts_table(accounts: list[dict[str, Any]]) -> FittedTable:
    return table_of(_ACCOUNT_COLUMNS, accounts)


def error_message(operation: dict[str, Any]) -> str:
    error = operation.get("error") or {}
    return str(error.get("message", "")) if isinstance(error, dict) else str(error)


def requested_by(operation: dict[str, Any], *, token: bool = False) -> str:
    """Who asked: the token's description (with `token`, and its id), or the service itself."""
    asked = operation.get("requested_by")
    if not asked:
        return "the service"
    description = asked.get("description") or "(no description)"
    return f"{description} (token {asked['token_id']})" if token else description


# The id stays whole: it is what `ops show | watch | cancel` take.
_OPERATION_COLUMNS = (
    Column("ID", lambda operation: operation["id"]),
    Column("KIND", lambda operation: operation["kind"]),
    Column(Heading("ACCOUNT", shorten=True), lambda operation: operation["account"]),
    Column("STATE", lambda operation: state(operation["state"])),
    Column(
        Heading("STEP / ERROR", drop=2, shorten=True),
        lambda operation: operation.get("step") or error_message(operation),
    ),
    Column(Heading("TRIES", drop=5), lambda operation: str(operation.get("attempts", ""))),
    Column(Heading("CREATED", drop=3), lambda operation: moment(operation.get("created_on"))),
    Column(Heading("BY", drop=4, shorten=True), requested_by),
)


def operations_table(operations: list[dict[str, Any]]) -> FittedTable:
    return table_of(_OPERATION_COLUMNS, operations)


def operation_details(operation: dict[str, Any]) -> Table:
    result = operation.get("result") or {}
    credentials = result.get("credentials") or {}
    return details(
        {
            "id": operation["id"],
            "kind": operation["kind"],
            "account": operation["account"],
            "account id": operation.get("account_id"),
            "requested by": requested_by(operation, token=True),
            "state": state(operation["state"]),
            "step": operation.get("step"),
            "attempts": operation.get("attempts"),
            "created": moment(operation.get("created_on")),
            "started": moment(operation.get("started_on")),
            "finished": moment(operation.get("finished_on")),
            "result": result.get("status"),
            "login": credentials.get("url"),
            "error": error_message(operation),
            "result location": operation.get("result_location"),
        }
    )


def credentials_table(credentials: dict[str, Any]) -> Table:
    password = credentials.get("password")
    return details(
        {
            "url": credentials.get("url"),
            "host": credentials.get("host"),
            "port": credentials.get("port"),
            "user": credentials.get("user"),
            "database": credentials.get("database"),
            "password": password
            if password
            else Text("(not shown: yours, or already handed over)"),
        }
    )


def outcome(operation: dict[str, Any]) -> Text:
    """One line: what the operation did and how it ended."""
    what = f"{operation['kind']} of {operation['account']} (operation {operation['id']})"
    if operation["state"] == SUCCEEDED:
        return Text.assemble(("succeeded", "bold green"), f": {what}")
    text = Text.assemble((operation["state"], "bold red"), f": {what}")
    message = error_message(operation)
    if message:
        text.append(f"\n  {message}")
    return text


def progress(operation: dict[str, Any]) -> str:
    """The spinner's text while an operation is pending."""
    step = operation.get("step")
    where = f" — {step}" if step else ""
    return f"{operation['kind']} of {operation['account']}: {operation['state']}{where}"
