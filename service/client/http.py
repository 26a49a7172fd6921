"""Requests to the HTTP API (urllib, synchronous) and the errors they end in."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any

from service.domain.tokens import DEV_TOKEN_FILE

DEFAULT_URL = "http://127.0.0.1:8080"
REQUEST_ID_HEADER = "X-Snowflake-Request-ID"
TIMEOUT_SECONDS = 30.0  # above the longest long-poll the client asks for
DEFAULT_PORTS = {"http": 80, "https": 443}
Params = Mapping[str, str | int | bool | None]


class ClientError(Exception):
    """Anything that keeps a command from getting its answer; exit status 2."""


class ForeignOrigin(ClientError):
    """A URL (a redirect, a `Location`, a `Link`) that leads off the API's origin: the token
    would go along, so it is not followed."""

    def __init__(self, url: str, origin: str) -> None:
        super().__init__(
            f"refusing to send the API token to {url}: it is not on {origin}, the API URL "
            "this client was given"
        )


class ApiError(ClientError):
    """A 4xx/5xx answer, with the contract's error message and request id."""

    def __init__(self, status: int, message: str, request_id: str | None) -> None:
        detail = f" (request id {request_id})" if request_id else ""
        super().__init__(f"HTTP {status}: {message}{detail}")
        self.status = status
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any


def _query(params: Params | None) -> str:
    if not params:
        return ""
    pairs = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in params.items()
        if value is not None
    }
    # quote, not quote_plus: the API reads a raw `+` as a plus sign.
    return "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote) if pairs else ""


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _api_error(error: urllib.error.HTTPError) -> ApiError:
    body = _decode(error.read())
    request_id = error.headers.get(REQUEST_ID_HEADER)
    message = str(error.reason)
    if isinstance(body, dict):
        message = str(body.get("message", message))
        request_id = body.get("request_id") or request_id
    return ApiError(error.code, message, request_id)


def origin(url: str) -> str:
    """scheme://host:port, the port spelled out (an origin as browsers compare them)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within `origin`; urllib's own would carry the Authorization
    header to any host the server names."""

    def __init__(self, api_origin: str) -> None:
        self._origin = api_origin

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if origin(newurl) != self._origin:
            raise ForeignOrigin(newurl, self._origin)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class ApiClient:
    """One base URL and one bearer token, which goes to that URL's origin and nowhere else."""

    def __init__(self, base_url: str, token: str) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise ClientError(f"the API URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._origin = origin(self.base_url)
        self._opener = urllib.request.build_opener(_SameOriginRedirects(self._origin))

    def url(self, path: str) -> str:
        """`path` (absolute, or a path as found in `Location`/`Link`) as a full URL on the
        API's origin; ForeignOrigin when it leads elsewhere."""
        url = urllib.parse.urljoin(self.base_url + "/", path)
        if origin(url) != self._origin:
            raise ForeignOrigin(url, self._origin)
        return url

    def request(
        self, method: str, path: str, *, params: Params | None = None, body: Any = None
    ) -> Reply:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url(path) + _query(params), data=data, method=method
        )
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
                return Reply(answer.status, dict(answer.headers.items()), _decode(answer.read()))
        except urllib.error.HTTPError as error:
            raise _api_error(error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ClientError(f"cannot reach {self.base_url}: {reason}") from None

    def get(self, path: str, params: Params | None = None) -> Any:
        return self.request("GET", path, params=params).body


def read_dev_token(data_dir: Path) -> str:
    """The token `provisioner up` saved, for when no token is given."""
    path = data_dir / DEV_TOKEN_FILE
    try:
        token = path.read_text().strip()
    except OSError:
        token = ""
    if not token:
        raise ClientError(
            f"no API token: pass --token, set PROVISIONER_TOKEN, or run `provisioner up` "
            f"(which saves one in {path})"
        )
    return token


def next_link(headers: Mapping[str, str]) -> str | None:
    """The target of a `Link: <…>; rel="next"` header, if any."""
    link = next((value for key, value in headers.items() if key.lower() == "link"), None)
    if link is None:
        return None
    for part in link.split(","):
        target, _, rest = part.partition(";")
        if 'rel="next"' in rest.replace(" ", ""):
            return target.strip().strip("<>")
    return None
