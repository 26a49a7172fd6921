"""One access-log line per request, with the request's fields and id."""

from __future__ import annotations

import logging
import sys

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from service.adapters.logs import rendering, write_json_line
from service.settings import LogFormat
from service.web.keys import REQUEST_ID

EVENT = "http.request"


class AccessLogger(AbstractAccessLogger):
    """The line through structlog, rendered as the process's log format says."""

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(logger, log_format)
        self._log = structlog.stdlib.get_logger(logger.name)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        self._log.info(EVENT, **_fields(request, response, time))


class JsonAccessLogger(AbstractAccessLogger):
    """The same line, written as JSON straight to stderr (when the process logs JSON)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        write_json_line(
            sys.stderr, self.logger.name, "info", EVENT, **_fields(request, response, time)
        )


def _fields(
    request: web.BaseRequest, response: web.StreamResponse, time: float
) -> dict[str, object]:
    # Called after the request-id middleware has reset its context: the id is passed here.
    return {
        "method": request.method,
        "path": request.path,
        "status": response.status,
        "duration_ms": round(time * 1000, 1),
        "request_id": request.get(REQUEST_ID, "-"),
    }


def access_logger_for(log_format: LogFormat) -> type[AbstractAccessLogger]:
    return JsonAccessLogger if rendering(log_format) == "json" else AccessLogger
