"""configure_logging: one JSON object (or console line) per event, ours and the libraries' alike."""

from __future__ import annotations

import json
import logging
import os
import pty
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from pydantic import ValidationError
from redis import Redis as SyncRedis
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy.exc import OperationalError

from service.adapters.logs import error_text
from service.adapters.pacing import Pacer
from service.adapters.ratelimit import RateLimiter
from service.settings import Settings
from tests.log_lines import configured_logging, json_lines

COLORS = re.compile(r"\x1b\[[0-9;]*m")  # a terminal gets coloured lines


def test_our_events_are_json_objects_with_time_level_logger_and_bound_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with configured_logging(), structlog.contextvars.bound_contextvars(request_id="req-1"):
        structlog.get_logger("service.example").info("operation.running", attempt=2)
    (line,) = json_lines(capsys.readouterr().err)
    assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
    assert line["event"] == "operation.running"
    assert (line["level"], line["logger"]) == ("info", "service.example")
    assert (line["attempt"], line["request_id"]) == (2, "req-1")
    stamped = datetime.fromisoformat(line["timestamp"])
    assert line["timestamp"].endswith("Z")
    assert stamped.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - stamped).total_seconds()) < 60


def test_library_lines_are_json_too_and_keep_their_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with configured_logging(), structlog.contextvars.bound_contextvars(operation_id="op-1"):
        logging.getLogger("celery.apps.worker").info("%s ready.", "provisioner@host")
        logging.getLogger("celery.beat").info("beat: Starting...")
        logging.getLogger("kombu").debug("below the level: not written")
    err = capsys.readouterr().err
    ready, beat = json_lines(err)
    assert ready == {
        "timestamp": ready["timestamp"],
        "level": "info",
        "logger": "celery.apps.worker",
        "event": "provisioner@host ready.",
        "operation_id": "op-1",
    }
    assert beat["event"] == "beat: Starting..."
    # The test processes' readiness markers are found in the raw output.
    assert " ready." in err
    assert "beat: Starting" in err
    assert all(line.startswith("{") for line in err.splitlines())


def test_exceptions_become_one_field_of_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with configured_logging():
        try:
            raise RuntimeError("the cause")
        except RuntimeError:
            logging.getLogger("aiohttp.server").exception("Error handling request")
            structlog.get_logger("service.web").exception("request.failed")
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 2
    for line in json_lines(err):
        assert line["level"] == "error"
        assert "RuntimeError: the cause" in line["exception"]


def test_the_console_format_is_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    with configured_logging("INFO", "console"):
        structlog.get_logger("service.example").info("operation.succeeded", kind="create")
    err = capsys.readouterr().err
    assert not err.startswith("{")
    assert "operation.succeeded" in err
    assert "kind=create" in err


def test_log_format_is_auto_by_default_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert Settings().log_format == "auto"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert Settings().log_format == "json"
    monkeypatch.setenv("LOG_FORMAT", "console")
    assert Settings().log_format == "console"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValidationError):
        Settings()


def test_error_text_leaves_out_statement_parameters() -> None:
    secret = "gAAAAA-sealed-password"
    error = OperationalError("INSERT INTO operations VALUES (%s)", (secret,), OSError("gone"))
    assert secret in str(error)  # what SQLAlchemy itself would print
    assert error_text(error) == "OperationalError: gone"
    assert error_text(ValueError("plain")) == "ValueError: plain"


def _refuse_login() -> None:
    password = "hunter2-secret"
    raise PermissionError(f"login refused (a {len(password)}-character password)")


def test_console_tracebacks_leave_out_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    with configured_logging("INFO", "console"):
        try:
            _refuse_login()
        except PermissionError:
            structlog.get_logger("service.web").exception("request.failed")
            logging.getLogger("celery.app.trace").exception("Task raised unexpected")
    err = capsys.readouterr().err
    assert "hunter2-secret" not in err
    assert err.count("Traceback (most recent call last)") == 2
    assert err.count("in _refuse_login") == 2
    assert err.count("PermissionError: login refused (a 14-character password)") == 2
    assert "request.failed" in err
    assert "Task raised unexpected" in err


def _first_line_written(log_format: str, *, terminal: bool) -> str:
    """What `configure_logging` writes in a process of its own whose stderr is a terminal (a
    pseudo-terminal) or a pipe."""
    program = (
        "import structlog; from service.adapters.logs import configure_logging; "
        f"configure_logging('INFO', {log_format!r}); "
        "structlog.get_logger('service.example').info('operation.running', attempt=2)"
    )
    reader, writer = pty.openpty() if terminal else os.pipe()
    try:
        process = subprocess.run(
            [sys.executable, "-c", program], stderr=writer, timeout=30, check=False
        )
    finally:
        os.close(writer)
    try:
        assert process.returncode == 0
        first = os.read(reader, 65536).decode().splitlines()[0]
    finally:
        os.close(reader)
    return COLORS.sub("", first)


@pytest.mark.parametrize(
    ("log_format", "terminal", "console"),
    [
        ("auto", True, True),
        ("auto", False, False),
        ("json", True, False),
        ("console", False, True),
    ],
)
def test_auto_means_console_lines_on_a_terminal_and_json_elsewhere(
    log_format: str, terminal: bool, console: bool
) -> None:
    line = _first_line_written(log_format, terminal=terminal)
    if console:
        assert not line.startswith("{"), line
        assert "operation.running" in line
        assert "attempt=2" in line
    else:
        parsed = json.loads(line)
        assert (parsed["event"], parsed["attempt"]) == ("operation.running", 2)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_unreachable_redis_is_logged_as_our_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    limiter_redis = AsyncRedis.from_url(url, socket_connect_timeout=1)
    pacer_redis = SyncRedis.from_url(url, socket_connect_timeout=1)
    try:
        with configured_logging():
            limiter = RateLimiter(limiter_redis, rate=1.0, burst=1)
            assert await limiter.wait_needed("token") == 0  # fails open
            assert Pacer(pacer_redis, "purges", rate=1.0, burst=1).wait_needed(5) == 0.0
    finally:
        await limiter_redis.aclose()
        pacer_redis.close()
    unchecked, unkept = json_lines(capsys.readouterr().err)
    assert (unchecked["event"], unchecked["logger"]) == (
        "rate_limit.unchecked",
        "service.adapters.ratelimit",
    )
    assert (unkept["event"], unkept["level"]) == ("pace.unkept", "warning")
    assert "ConnectionError" in unchecked["error"]
