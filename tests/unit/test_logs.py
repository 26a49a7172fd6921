"""configure_logging: one JSON object per line for our events and the libraries' alike."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from service.adapters.logs import error_text
from service.settings import Settings
from tests.log_lines import configured_logging, json_lines


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


def test_log_format_is_json_by_default_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)
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
