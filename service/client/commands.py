"""What every client command shares: its common options, consoles, errors turned into exit 2."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType

from service.client.http import DEFAULT_URL, ApiClient, ClientError, read_dev_token

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
_KEYWORD = inspect.Parameter.KEYWORD_ONLY
# Where a command's own `--url` is another server's (`clusters add`): the API's is --api-url.
ApiUrlOption = Annotated[
    str, typer.Option("--api-url", envvar="PROVISIONER_URL", help="Base URL of the API")
]


def _shared_options(url_option: Any) -> tuple[inspect.Parameter, ...]:
    """The options of every command that talks to the API, after its own (as `--help` lists
    them)."""
    return (
        inspect.Parameter("as_json", _KEYWORD, default=False, annotation=JsonOption),
        inspect.Parameter("url", _KEYWORD, default=DEFAULT_URL, annotation=url_option),
        inspect.Parameter("token", _KEYWORD, default=None, annotation=TokenOption),
        inspect.Parameter("data_dir", _KEYWORD, default=DEFAULT_DATA_DIR, annotation=DataDirOption),
    )


_SHARED_OPTIONS = _shared_options(UrlOption)


def stdout() -> Console:
    # Built per command, not at import: the streams may be swapped (tests, pipes).
    # No markup or highlighting: API messages are printed as they are; styles come from Text.
    return Console(markup=False, highlight=False)


def stderr() -> Console:
    return Console(stderr=True, markup=False, highlight=False)


def print_json(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2))


@dataclass(frozen=True)
class Call:
    """One run of a client command: the API it talks to, and whether it prints JSON."""

    api: ApiClient
    as_json: bool

    def show(self, body: Any, view: Callable[[Any], RenderableType]) -> None:
        """The API's body as JSON (`--json`), else rendered for people."""
        if self.as_json:
            print_json(body)
        else:
            stdout().print(view(body))


def api_command_with_api_url(command: Callable[..., None]) -> Callable[..., None]:
    """`api_command` whose API base URL option is --api-url (its own --url means another)."""
    return api_command(command, shared=_shared_options(ApiUrlOption))


def api_command(
    command: Callable[..., None], shared: tuple[inspect.Parameter, ...] = _SHARED_OPTIONS
) -> Callable[..., None]:
    """`command` with the shared options (--json, --url, --token, --data-dir) added for typer
    to parse; it is called with a `Call` made of them as its first argument, and a client
    error (an HTTP error, the API unreachable, no token) ends it with exit status 2."""

    @functools.wraps(command)
    def run(
        *args: Any, as_json: bool, url: str, token: str | None, data_dir: Path, **kwargs: Any
    ) -> None:
        with reporting_errors():
            call = Call(ApiClient(url, token or read_dev_token(data_dir)), as_json)
            command(call, *args, **kwargs)

    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]
    options = [*own, *shared]
    # typer reads a command's options from its signature (typeshed does not declare
    # `__signature__` on functions, which inspect honours) and its annotations.
    run.__signature__ = inspect.Signature(options)  # type: ignore[attr-defined]
    run.__annotations__ = {option.name: option.annotation for option in options}
    return run


@contextlib.contextmanager
def reporting_errors() -> Iterator[None]:
    """Usage and HTTP errors end the command with the API's message and exit status 2."""
    try:
        yield
    except ClientError as error:
        typer.echo(f"provisioner: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
