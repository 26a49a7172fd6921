"""One access-log line per request, with the request's fields and id."""

from __future__ import annotations

import logging

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from service.web.keys import REQUEST_ID


class AccessLogger(AbstractAccessLogger):
    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(logger, log_format)
        self._log = structlog.stdlib.get_logger(logger.name)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        # Called after the request-id middleware has reset its context: the id is passed here.
        self._log.info(
            "http.request",
            method=request.method,
            path=request.path,
            status=response.status,
            duration_ms=round(time * 1000, 1),
            request_id=request.get(REQUEST_ID, "-"),
        )
