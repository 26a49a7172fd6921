"""Every command that talks to the API takes the same shared options, parsed the same way."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from service.cli import app

SHARED = {
    "as_json": ("--json", None),
    "url": ("--url", "PROVISIONER_URL"),
    "token": ("--token", "PROVISIONER_TOKEN"),
    "data_dir": ("--data-dir", "DATA_DIR"),
}
CLIENT_COMMANDS = [
    ("accounts", "create"),
    ("accounts", "list"),
    ("accounts", "get"),
    ("accounts", "drop"),
    ("accounts", "undrop"),
    ("accounts", "rotate"),
    ("ops", "list"),
    ("ops", "show"),
    ("ops", "cancel"),
    ("ops", "watch"),
    ("queues",),
]


def options_of(path: tuple[str, ...]) -> dict[str, Any]:
    # typer's own copy of click: its groups and options, read as click's.
    found: Any = typer.main.get_command(app)
    for name in path:
        found = found.commands[name]
    return {param.name: param for param in found.params}


@pytest.mark.parametrize("path", CLIENT_COMMANDS, ids=" ".join)
def test_every_client_command_takes_the_shared_options(path: tuple[str, ...]) -> None:
    options = options_of(path)
    for name, (flag, envvar) in SHARED.items():
        assert flag in options[name].opts, (path, name)
        assert options[name].envvar == envvar, (path, name)
    assert options["url"].default == "http://127.0.0.1:8080"
    assert options["token"].default is None
