"""`provisioner accounts …`: create, list, get, drop, undrop and rotate over the HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from service.client import follow, render
from service.client.commands import (
    DEFAULT_DATA_DIR,
    DataDirOption,
    JsonOption,
    TokenOption,
    UrlOption,
    WaitOption,
    connect,
    print_body,
    reporting_errors,
)
from service.client.http import DEFAULT_URL

accounts_app = typer.Typer(help="Accounts, through the HTTP API.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="Account name (case-insensitive)")]


def _path(name: str) -> str:
    return f"/api/v2/accounts/{name}"


@accounts_app.command("create")
def create(
    name: NameArgument,
    *,
    admin_name: Annotated[str, typer.Option(help="The account's administrator login")],
    email: Annotated[str, typer.Option(help="The administrator's email")],
    edition: Annotated[str, typer.Option(help="STANDARD, ENTERPRISE or BUSINESS_CRITICAL")],
    comment: Annotated[str | None, typer.Option(help="A note on the account")] = None,
    admin_password: Annotated[
        str | None, typer.Option(help="The administrator's password (default: generated)")
    ] = None,
    wait: WaitOption = False,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Create an account; with --wait, print its credentials (a generated password only once)."""
    body: dict[str, Any] = {
        "name": name,
        "admin_name": admin_name,
        "email": email,
        "edition": edition,
    }
    if comment is not None:
        body["comment"] = comment
    if admin_password is not None:
        body["admin_password"] = admin_password
    target = (url, token, data_dir)
    _mutate(target, "POST", "/api/v2/accounts", body=body, wait=wait, as_json=as_json)


@accounts_app.command("list")
def list_accounts(
    *,
    like: Annotated[
        str | None, typer.Option(help="Case-insensitive SQL pattern, e.g. 'my%'")
    ] = None,
    history: Annotated[bool, typer.Option(help="Include dropped accounts")] = False,
    show_limit: Annotated[int | None, typer.Option(help="At most this many accounts")] = None,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """List the organization's accounts."""
    params = {"like": like, "history": history or None, "showLimit": show_limit}
    with reporting_errors():
        accounts = connect(url, token, data_dir).get("/api/v2/accounts", params)
    print_body(accounts, as_json=as_json, view=render.accounts_table)


@accounts_app.command("get")
def get(
    name: NameArgument,
    *,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Show one account."""
    with reporting_errors():
        account = connect(url, token, data_dir).get(_path(name))
    print_body(account, as_json=as_json, view=render.account_details)


@accounts_app.command("drop")
def drop(
    name: NameArgument,
    *,
    grace_days: Annotated[int, typer.Option(help="Days before it is purged (3-90)")],
    if_exists: Annotated[bool, typer.Option(help="No error when it does not exist")] = False,
    wait: WaitOption = False,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Drop an account: its login is locked out; it is purged once the grace period ends."""
    params = {"gracePeriodInDays": grace_days, "ifExists": if_exists or None}
    target = (url, token, data_dir)
    _mutate(target, "DELETE", _path(name), params=params, wait=wait, as_json=as_json)


@accounts_app.command("undrop")
def undrop(
    name: NameArgument,
    *,
    wait: WaitOption = False,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Bring a dropped account back before its grace period ends."""
    path = _path(name) + ":undrop"
    _mutate((url, token, data_dir), "POST", path, wait=wait, as_json=as_json)


@accounts_app.command("rotate")
def rotate(
    name: NameArgument,
    *,
    wait: WaitOption = False,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Give the administrator a new generated password (printed once with --wait)."""
    path = _path(name) + ":rotateCredentials"
    _mutate((url, token, data_dir), "POST", path, wait=wait, as_json=as_json)


def _mutate(
    target: tuple[str, str | None, Path],
    method: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    wait: bool,
    as_json: bool,
) -> None:
    """Send one mutation; print the 202, or with `wait` how it ended; exit with its status."""
    with reporting_errors():
        api = connect(*target)
        reply = api.request(method, path, params=params, body=body)
        code = follow.accepted(api, reply, wait=wait, as_json=as_json)
    raise typer.Exit(code)
