"""`provisioner ops …`: list, show, cancel and watch operations over the HTTP API."""

from __future__ import annotations

from typing import Annotated

import typer

from service.client import follow, render
from service.client.commands import Call, api_command, stderr
from service.client.paging import AllPagesOption, pages
from service.domain.lifecycle import OperationKind, OperationState

ops_app = typer.Typer(
    help="Operations (the work behind every 202), through the HTTP API.", no_args_is_help=True
)

PATH = "/api/v2/operations"
HandleArgument = Annotated[str, typer.Argument(help="Operation handle (the resultHandler)")]


@ops_app.command("list")
@api_command
def list_operations(
    call: Call,
    *,
    state: Annotated[OperationState | None, typer.Option(help="Only in this state")] = None,
    kind: Annotated[OperationKind | None, typer.Option(help="Only of this kind")] = None,
    account: Annotated[
        str | None, typer.Option(help="Only of this account: NAME, id:<id> or externalId:<value>")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Created at or after (RFC 3339, e.g. 2026-11-23T10:00:00Z)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Operations per page (API default 50)")] = None,
    requested_by: Annotated[
        str | None, typer.Option(help="Only those this token asked for (the token's id)")
    ] = None,
    every_page: AllPagesOption = False,
) -> None:
    """List operations, newest first (one page unless --all)."""
    params = {
        "state": state.value if state else None,
        "kind": kind.value if kind else None,
        "account": account,
        "since": since,
        "limit": limit,
        "requestedBy": requested_by,
    }
    call.show(pages(call.api, PATH, params, every_page=every_page), render.operations_table)


@ops_app.command("show")
@api_command
def show(call: Call, handle: HandleArgument) -> None:
    """Show one operation: its state, current step, attempts, times, error or result."""
    call.show(call.api.get(follow.operation_path(handle)), render.operation_details)


@ops_app.command("cancel")
@api_command
def cancel(call: Call, handle: HandleArgument) -> None:
    """Cancel a queued operation (a running or finished one cannot be: exit status 2)."""
    reply = call.api.request("POST", follow.operation_path(handle) + ":cancel")
    call.show(reply.body, render.outcome)


@ops_app.command("watch")
@api_command
def watch(call: Call, handle: HandleArgument) -> None:
    """Follow an operation live until it ends; exit 1 if it failed or was canceled.

    Credentials it made are printed, with a generated password if nobody fetched it yet
    (the API hands it over once).
    """
    operation = follow.until_done(call.api, handle, stderr())
    code = follow.report(follow.claim_credentials(call.api, operation), as_json=call.as_json)
    raise typer.Exit(code)
