"""`GET /console` (the page, rendered from templates/) and its two static files, served under a
Content-Security-Policy that allows only this server's own script and styles."""

from __future__ import annotations

import functools
from importlib import resources

import aiohttp_jinja2
import jinja2
from aiohttp import web

from service.domain.lifecycle import (
    MAX_GRACE_DAYS,
    MIN_GRACE_DAYS,
    AccountState,
    OperationKind,
    OperationState,
)
from service.web.console.memory import HEARTBEAT_EXPIRES_SECONDS
from service.web.packaged_files import PackagedFiles

# The script is a few ES modules loaded by the browser itself: no build step.
STATIC_FILES: dict[str, str] = {
    **{
        f"{name}.js": "text/javascript"
        for name in ("console", "api", "dom", "charts", "overview", "accounts", "operations")
    },
    "console.css": "text/css",
}
# No inline script or style anywhere, no framing, forms never submitted by the browser (the
# script sends them; a form posted without it could put the token in a URL).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Modules import each other by plain names: revalidate, so an upgrade is never half-cached.
STATIC_CACHE = "no-cache"


def setup_templates(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("service.web.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@functools.cache
def static_file(filename: str) -> bytes:
    return resources.files("service.web.console").joinpath("static", filename).read_bytes()


async def console_page(request: web.Request) -> web.Response:
    context = {
        "account_states": [state.value for state in AccountState],
        "operation_states": [state.value for state in OperationState],
        "operation_kinds": [kind.value for kind in OperationKind],
        "min_grace_days": MIN_GRACE_DAYS,
        "max_grace_days": MAX_GRACE_DAYS,
        "heartbeat_expires_seconds": HEARTBEAT_EXPIRES_SECONDS,
    }
    response = aiohttp_jinja2.render_template("console.html", request, context)
    response.headers.update(PAGE_HEADERS)
    return response


CONSOLE_FILES = PackagedFiles(
    "console",
    STATIC_FILES,
    static_file,
    {"Cache-Control": STATIC_CACHE, "X-Content-Type-Options": "nosniff"},
)
