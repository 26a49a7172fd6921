"""Reading the JSON log lines our processes write, and JSON logging switched on for one test."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import structlog

from service.adapters.logs import configure_logging
from service.settings import LogFormat


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line that starts with `{`, parsed (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@contextlib.contextmanager
def configured_logging(level: str = "INFO", log_format: LogFormat = "json") -> Iterator[None]:
    """`configure_logging` for the block (to the current sys.stderr), then logging as it was."""
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    config = structlog.get_config()
    configure_logging(level, log_format)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        structlog.configure(**config)
