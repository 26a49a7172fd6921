"""`provisioner ops …`: list, show, cancel and watch operations over the HTTP API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.client import follow, render
from service.client.commands import (
    DEFAULT_DATA_DIR,
    DataDirOption,
    JsonOption,
    TokenOption,
    UrlOption,
    connect,
    print_body,
    reporting_errors,
    stderr,
)
from service.client.http import DEFAULT_URL, ApiClient, next_link
from service.domain.lifecycle import OperationKind, OperationState

ops_app = typer.Typer(
    help="Operations (the work behind every 202), through the HTTP API.", no_args_is_help=True
)

HandleArgument = Annotated[str, typer.Argument(help="Operation handle (the resultHandler)")]


def _pages(api: ApiClient, params: dict[str, Any], every_page: bool) -> list[dict[str, Any]]:
    reply = api.request("GET", "/api/v2/operations", params=params)
    operations: list[dict[str, Any]] = list(reply.body)
    following = next_link(reply.headers)
    while every_page and following is not None:
        reply = api.request("GET", following)
        operations.extend(reply.body)
        following = next_link(reply.headers)
    return operations


@ops_app.command("list")
def list_operations(
    *,
    state: Annotated[OperationState | None, typer.Option(help="Only in this state")] = None,
    kind: Annotated[OperationKind | None, typer.Option(help="Only of this kind")] = None,
    account: Annotated[str | None, typer.Option(help="Only of this account")] = None,
    since: Annotated[
        str | None, typer.Option(help="Created at or after (RFC 3339, e.g. 2026-11-23T10:00:00Z)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Operations per page (API default 50)")] = None,
    every_page: Annotated[
        bool, typer.Option("--all", help="Follow the Link header through every page")
    ] = False,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """List operations, newest first (one page unless --all)."""
    params = {
        "state": state.value if state else None,
        "kind": kind.value if kind else None,
        "account": account,
        "since": since,
        "limit": limit,
    }
    with reporting_errors():
        operations = _pages(connect(url, token, data_dir), params, every_page)
    print_body(operations, as_json=as_json, view=render.operations_table)


@ops_app.command("show")
def show(
    handle: HandleArgument,
    *,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Show one operation: its state, current step, attempts, times, error or result."""
    with reporting_errors():
        operation = connect(url, token, data_dir).get(follow.operation_path(handle))
    print_body(operation, as_json=as_json, view=render.operation_details)


@ops_app.command("cancel")
def cancel(
    handle: HandleArgument,
    *,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Cancel a queued operation (a running or finished one cannot be: exit status 2)."""
    with reporting_errors():
        reply = connect(url, token, data_dir).request(
            "POST", follow.operation_path(handle) + ":cancel"
        )
    print_body(reply.body, as_json=as_json, view=render.outcome)


@ops_app.command("watch")
def watch(
    handle: HandleArgument,
    *,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
) -> None:
    """Follow an operation live until it ends; exit 1 if it failed or was canceled.

    Credentials it made are printed, with a generated password if nobody fetched it yet
    (the API hands it over once).
    """
    with reporting_errors():
        api = connect(url, token, data_dir)
        operation = follow.until_done(api, handle, stderr())
        code = follow.report(follow.claim_credentials(api, operation), as_json=as_json)
    raise typer.Exit(code)
