"""JSON responses in the contract's shapes."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from aiohttp import web

from service.domain.errors import ErrorCode, error_body
from service.domain.results import ResultResponse, accepted
from service.web.keys import REQUEST_ID

# Results and operations hand over generated passwords, and account and token answers are
# private too: no JSON answer may sit in a browser's or a proxy's cache. Every one says so.
CACHE_CONTROL = "Cache-Control"
NO_STORE = "no-store"


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # orjson: a fifth of json.dumps's time; the bytes are what aiohttp would send, except that
    # characters beyond ASCII are written as UTF-8 rather than \u escapes (both valid JSON).
    response = web.Response(
        body=orjson.dumps(body),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )
    response.headers.setdefault(CACHE_CONTROL, NO_STORE)
    return response


def result_response(result: ResultResponse) -> web.Response:
    return json_response(result.body, status=result.status, headers=result.headers)


class _Accepted202:
    """The 202 of an accepted operation from prepared bytes: only the handle changes (the body
    through orjson and aiohttp's content-type handling cost twice as much)."""

    def __init__(self) -> None:
        sample_handle = "00000000-0000-4000-8000-000000000000"
        sample = accepted(sample_handle)
        self._body = orjson.dumps(sample.body).split(sample_handle.encode())
        self._location = sample.headers["Location"].split(sample_handle)
        self._headers = {
            **sample.headers,
            "Content-Type": "application/json; charset=utf-8",
            CACHE_CONTROL: NO_STORE,
        }

    def __call__(self, handle: uuid.UUID) -> web.Response:
        text = str(handle)
        before, after = self._body
        headers = {**self._headers, "Location": text.join(self._location)}
        return web.Response(body=before + text.encode() + after, status=202, headers=headers)


# The same bytes and headers as result_response(accepted(handle)).
accepted_response = _Accepted202()


def error_response(
    request: web.Request,
    status: int,
    code: ErrorCode,
    message: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    request_id: str = request.get(REQUEST_ID, "")
    return json_response(error_body(code, message, request_id), status=status, headers=headers)
