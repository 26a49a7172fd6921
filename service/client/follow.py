"""Following an operation until it ends: the API's `wait=` long-poll under a spinner."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

from service.client import render
from service.client.commands import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OPERATION_FAILED,
    print_json,
    stderr,
    stdout,
)
from service.client.http import ApiClient, Reply

# Each poll is held by the API until the operation ends or this many seconds pass; the
# spinner's step is refreshed between polls.
WAIT_SLICE_SECONDS = 1


def operation_path(handle: str) -> str:
    return f"/api/v2/operations/{handle}"


def until_done(api: ApiClient, handle: str, spinner: Console) -> dict[str, Any]:
    """The operation once it is done, showing its state and current step meanwhile."""
    operation: dict[str, Any] = api.get(operation_path(handle))
    try:
        with spinner.status(render.progress(operation)) as status:
            while not operation["done"]:
                operation = api.get(operation_path(handle), {"wait": WAIT_SLICE_SECONDS})
                status.update(render.progress(operation))
    except KeyboardInterrupt:
        spinner.print(
            f"stopped following; operation {handle} goes on "
            f"(`provisioner ops watch {handle}` follows it again)"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    return operation


def claim_credentials(api: ApiClient, operation: dict[str, Any]) -> dict[str, Any]:
    """The operation with the result resource's credentials, which carry a generated password
    the first time they are read (the operations view always shows it null)."""
    result = operation.get("result")
    if operation["state"] != render.SUCCEEDED or not isinstance(result, dict):
        return operation
    if "credentials" not in result:
        return operation
    claimed = api.get(operation["result_location"])
    return {**operation, "result": claimed}


def report(operation: dict[str, Any], *, as_json: bool) -> int:
    """Print how the operation ended; its exit status."""
    if as_json:
        print_json(operation)
    else:
        console = stdout()
        console.print(render.outcome(operation))
        credentials = (operation.get("result") or {}).get("credentials")
        if isinstance(credentials, dict):
            console.print(render.credentials_table(credentials))
            if credentials.get("password"):
                console.print("The password is shown this once; keep it now.", style="yellow")
    return EXIT_OK if operation["state"] == render.SUCCEEDED else EXIT_OPERATION_FAILED


def accepted(api: ApiClient, reply: Reply, *, wait: bool, as_json: bool) -> int:
    """What a mutation prints: the 202 (or a 200 with nothing to do), or, with `wait`, how the
    operation ended (with credentials when it made some)."""
    handle = reply.body.get("resultHandler") if isinstance(reply.body, dict) else None
    if handle is None or not wait:
        if as_json:
            print_json(reply.body)
        elif handle is None:
            body = reply.body if isinstance(reply.body, dict) else {}
            stdout().print(body.get("message") or body.get("status") or f"HTTP {reply.status}")
        else:
            stdout().print(
                f"accepted: operation {handle}\nfollow it with `provisioner ops watch {handle}`"
            )
        return EXIT_OK
    operation = until_done(api, handle, stderr())
    return report(claim_credentials(api, operation), as_json=as_json)
