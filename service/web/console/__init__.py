"""The operators' web console: pages, static files and the live overview (docs/console.md)."""

from __future__ import annotations

from aiohttp import web

from service.web.console.live import CONSOLE, LiveOverview, close_streams
from service.web.console.pages import setup_templates


def setup_console(app: web.Application) -> None:
    setup_templates(app)
    app[CONSOLE] = LiveOverview()
    app.on_shutdown.append(close_streams)
