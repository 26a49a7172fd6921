"""`provisioner accounts …`: create, list, get, plan, update, drop, undrop, rotate and purge,
over HTTP."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Annotated, Any

import typer

from service.client import follow, render
from service.client.account_details import account_details, plan_table
from service.client.commands import Call, WaitOption, api_command

accounts_app = typer.Typer(help="Accounts, through the HTTP API.", no_args_is_help=True)

NameArgument = Annotated[
    str,
    typer.Argument(
        help="The account: its name (case-insensitive), id:<id> or externalId:<external id>"
    ),
]


def _path(name: str) -> str:
    return "/api/v2/accounts/" + urllib.parse.quote(name, safe=":")


@accounts_app.command("create")
@api_command
def create(
    call: Call,
    name: NameArgument,
    *,
    admin_name: Annotated[str, typer.Option(help="The account's administrator login")],
    email: Annotated[str, typer.Option(help="The administrator's email")],
    edition: Annotated[str, typer.Option(help="STANDARD, ENTERPRISE or BUSINESS_CRITICAL")],
    first_name: Annotated[str | None, typer.Option(help="The owner's first name")] = None,
    last_name: Annotated[str | None, typer.Option(help="The owner's last name")] = None,
    external_id: Annotated[str | None, typer.Option(help="Your id for the account")] = None,
    comment: Annotated[str | None, typer.Option(help="A note on the account")] = None,
    admin_password: Annotated[
        str | None, typer.Option(help="The administrator's password", show_default="generated")
    ] = None,
    wait: WaitOption = False,
) -> None:
    """Create an account; with --wait, print its credentials (a generated password only once)."""
    body: dict[str, Any] = {
        "name": name,
        "admin_name": admin_name,
        "email": email,
        "edition": edition,
    }
    optional = {
        "first_name": first_name,
        "last_name": last_name,
        "external_id": external_id,
        "comment": comment,
        "admin_password": admin_password,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    _mutate(call, "POST", "/api/v2/accounts", body=body, wait=wait)


@accounts_app.command("list")
@api_command
def list_accounts(
    call: Call,
    *,
    like: Annotated[
        str | None, typer.Option(help="Case-insensitive SQL pattern, e.g. 'my%'")
    ] = None,
    history: Annotated[bool, typer.Option(help="Include dropped accounts")] = False,
    show_limit: Annotated[int | None, typer.Option(help="At most this many accounts")] = None,
) -> None:
    """List the organization's accounts."""
    params = {"like": like, "history": history or None, "showLimit": show_limit}
    call.show(call.api.get("/api/v2/accounts", params), render.accounts_table)


@accounts_app.command("get")
@api_command
def get(call: Call, name: NameArgument) -> None:
    """Show one account."""
    call.show(call.api.get(_path(name)), account_details)


@accounts_app.command("plan")
@api_command
def plan(call: Call, name: NameArgument) -> None:
    """Show an account's plan: each limit of its edition and the usage last measured against it."""
    call.show(call.api.get(_path(name) + "/plan"), plan_table)


@accounts_app.command("drop")
@api_command
def drop(
    call: Call,
    name: NameArgument,
    *,
    grace_days: Annotated[int, typer.Option(help="Days before it is purged (3-90)")],
    if_exists: Annotated[bool, typer.Option(help="No error when it does not exist")] = False,
    wait: WaitOption = False,
) -> None:
    """Drop an account: its login is locked out; it is purged once the grace period ends."""
    params = {"gracePeriodInDays": grace_days, "ifExists": if_exists or None}
    _mutate(call, "DELETE", _path(name), params=params, wait=wait)


# The mutations that take the account alone: the command, the API's `:action`, its help.
_ACTIONS = (
    ("undrop", "undrop", "Bring a dropped account back before its grace period ends."),
    (
        "rotate",
        "rotateCredentials",
        "Give the administrator a new generated password (printed once with --wait).",
    ),
    (
        "purge",
        "purge",
        "Erase a dropped account now, before its grace period ends (admin tokens only).",
    ),
)


def _action(action: str) -> Callable[..., None]:
    def run(call: Call, name: NameArgument, *, wait: WaitOption = False) -> None:
        _mutate(call, "POST", f"{_path(name)}:{action}", wait=wait)

    return run


for _command, _api_action, _help in _ACTIONS:
    accounts_app.command(_command, help=_help)(api_command(_action(_api_action)))


@accounts_app.command("update")
@api_command
def update(
    call: Call,
    name: NameArgument,
    *,
    new_name: Annotated[str | None, typer.Option("--name", help="Rename the account")] = None,
    edition: Annotated[
        str | None, typer.Option(help="A new plan: STANDARD, ENTERPRISE or BUSINESS_CRITICAL")
    ] = None,
    comment: Annotated[str | None, typer.Option(help="A new comment")] = None,
    enabled: Annotated[
        bool | None,
        typer.Option("--enable/--disable", help="Resume or suspend the account's logins"),
    ] = None,
    deletion_protection: Annotated[
        bool | None,
        typer.Option(
            "--deletion-protection/--no-deletion-protection",
            help="While on, a drop is refused",
        ),
    ] = None,
    external_id: Annotated[str | None, typer.Option(help="A new external id")] = None,
    wait: WaitOption = False,
) -> None:
    """Change an account (a merge patch of the fields given); its operation runs like any other.

    An empty --comment or --external-id ('') clears it."""
    patch: dict[str, Any] = {
        key: value
        for key, value in {
            "name": new_name,
            "edition": edition,
            "enabled": enabled,
            "deletion_protection": deletion_protection,
        }.items()
        if value is not None
    }
    for key, text in (("comment", comment), ("external_id", external_id)):
        if text is not None:
            patch[key] = text or None  # an empty value clears the field
    if not patch:
        raise typer.BadParameter("name at least one field to change (see --help)")
    _mutate(call, "PATCH", _path(name), body=patch, wait=wait)


def _mutate(
    call: Call,
    method: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    wait: bool,
) -> None:
    """Send one mutation; print the 202, or with `wait` how it ended; exit with its status."""
    reply = call.api.request(method, path, params=params, body=body)
    raise typer.Exit(follow.accepted(call.api, reply, wait=wait, as_json=call.as_json))
