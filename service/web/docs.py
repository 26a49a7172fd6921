"""The OpenAPI document and the Swagger UI page that renders it, served without a CDN."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ConfigDict, with_config
from swagger_ui_bundle import swagger_ui_path
from typing_extensions import TypedDict

from service.web.openapi.metadata import Handler
from service.web.packaged_files import PackagedFiles

# The Swagger UI files the page loads, with their media types; nothing else is served.
STATIC_FILES: dict[str, str] = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
CACHE_CONTROL = "public, max-age=86400"

# Relative URLs, so the page also works behind a proxy that adds a path prefix.
# `validatorUrl: null`: Swagger UI would otherwise send the document to an online validator.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>account-provisioner API</title>
  <link rel="stylesheet" href="docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/static/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="docs/static/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "api/v2/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  </script>
</body>
</html>
"""


@with_config(ConfigDict(extra="allow"))
class OpenApiDocument(TypedDict):
    """An OpenAPI 3.1 document."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


def openapi_handler(document: Callable[[], bytes]) -> Handler:
    """`GET /api/v2/openapi.json`: the bytes `document()` gives (built once per process)."""

    async def serve(request: web.Request) -> web.Response:
        # The first call builds the document (~0.2 s): not on the event loop.
        body = await asyncio.to_thread(document)
        return web.Response(body=body, content_type="application/json")

    return serve


async def docs_handler(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


@functools.cache
def _static_file(filename: str) -> bytes:
    """A Swagger UI file, read once (about 2 MB in all, and only if the page is used)."""
    return (Path(swagger_ui_path) / filename).read_bytes()


SWAGGER_FILES = PackagedFiles(
    "documentation", STATIC_FILES, _static_file, {"Cache-Control": CACHE_CONTROL}
)
