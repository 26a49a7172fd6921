"""`provisioner queues`: the operator's live screen, refreshed like `top`."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live

from service.client import dashboard
from service.client.commands import Call, api_command, print_json, stdout
from service.client.http import ApiClient, ApiError, ClientError

queues_app = typer.Typer()
QUEUES_PATH = "/api/v2/queues"
SERVER_ERROR = 500  # at and above: the API or its servers are down for now; keep refreshing


@queues_app.callback(invoke_without_command=True)
@api_command
def queues(
    call: Call,
    *,
    once: Annotated[bool, typer.Option(help="Print one snapshot and exit")] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="Seconds between refreshes")] = 2.0,
) -> None:
    """Queue depth, unacked messages, workers, recent operations, purges and stuck work, live
    (Ctrl-C quits). With --json, one JSON report per line at each refresh; when the output is
    not a terminal, one screen after another."""
    api = call.api
    report = api.get(QUEUES_PATH)
    if once:
        _print_once(api, report, as_json=call.as_json)
        return
    console = stdout()
    try:
        if call.as_json:
            _stream_json(api, report, interval)
        elif console.is_terminal:
            _live(api, report, interval, console)
        else:
            _batch(api, report, interval, console)
    except KeyboardInterrupt:
        return


def _print_once(api: ApiClient, report: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(report)
    else:
        stdout().print(dashboard.screen(report, _header(api)))


def _header(api: ApiClient) -> str:
    return f"provisioner queues — {api.base_url}"


def _refresh(api: ApiClient) -> tuple[dict[str, Any] | None, str | None]:
    """(a new report, None), or (None, why not) while the API or its servers are down.
    Other errors (a bad token, a lost permission) end the command."""
    try:
        report: dict[str, Any] = api.get(QUEUES_PATH)
    except ApiError as error:
        if error.status < SERVER_ERROR:
            raise
        return None, str(error)
    except ClientError as error:
        return None, str(error)
    return report, None


def _live(api: ApiClient, report: dict[str, Any], interval: float, console: Console) -> None:
    header = _header(api) + f"   (every {interval:g} s; Ctrl-C quits)"
    # The alternate screen, like `top`; leaving it (Ctrl-C, an error) restores the terminal.
    with Live(
        dashboard.screen(report, header), console=console, screen=True, auto_refresh=False
    ) as live:
        while True:
            time.sleep(interval)
            fresh, problem = _refresh(api)
            report = fresh or report
            live.update(dashboard.screen(report, header, problem), refresh=True)


def _batch(api: ApiClient, report: dict[str, Any], interval: float, console: Console) -> None:
    header = _header(api)
    problem = None
    while True:
        console.print(dashboard.screen(report, header, problem))
        time.sleep(interval)
        fresh, problem = _refresh(api)
        report = fresh or report


def _stream_json(api: ApiClient, report: dict[str, Any], interval: float) -> None:
    typer.echo(json.dumps(report))
    while True:
        time.sleep(interval)
        fresh, problem = _refresh(api)
        if fresh is None:
            typer.echo(f"provisioner: {problem}", err=True)
        else:
            typer.echo(json.dumps(fresh))
