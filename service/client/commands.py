"""What every client command shares: connection options, consoles, errors turned into exit 2."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType

from service.client.http import ApiClient, ClientError, read_dev_token

EXIT_OK = 0
EXIT_OPERATION_FAILED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # Ctrl-C while following: the shell's convention for SIGINT

UrlOption = Annotated[
    str, typer.Option("--url", envvar="PROVISIONER_URL", help="Base URL of the API")
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="PROVISIONER_TOKEN",
        help="API token (default: DATA_DIR/dev-admin.token, as saved by `provisioner up`)",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir", envvar="DATA_DIR", help="Where `provisioner up` keeps its files", hidden=True
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON, for scripts")]
WaitOption = Annotated[
    bool,
    typer.Option("--wait", help="Follow the operation until it ends; exit 1 if it fails"),
]
DEFAULT_DATA_DIR = Path(".provisioner")


def connect(url: str, token: str | None, data_dir: Path) -> ApiClient:
    return ApiClient(url, token or read_dev_token(data_dir))


def stdout() -> Console:
    # Built per command, not at import: the streams may be swapped (tests, pipes).
    # No markup or highlighting: API messages are printed as they are; styles come from Text.
    return Console(markup=False, highlight=False)


def stderr() -> Console:
    return Console(stderr=True, markup=False, highlight=False)


def print_json(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2))


def print_body(body: Any, *, as_json: bool, view: Callable[[Any], RenderableType]) -> None:
    """The API's body as JSON (`--json`), else rendered for people."""
    if as_json:
        print_json(body)
    else:
        stdout().print(view(body))


@contextlib.contextmanager
def reporting_errors() -> Iterator[None]:
    """Usage and HTTP errors end the command with the API's message and exit status 2."""
    try:
        yield
    except ClientError as error:
        typer.echo(f"provisioner: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
