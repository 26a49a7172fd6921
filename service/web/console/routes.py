"""The console's routes, with what the OpenAPI document says about each (added to the one route
table in service/web/routes.py)."""

from __future__ import annotations

from service.domain.errors import NotFound, Unavailable
from service.domain.roles import Permission
from service.web.console.live import EVENT_STREAM, overview_handler
from service.web.console.overview import Overview
from service.web.console.pages import CONSOLE_FILES, console_page
from service.web.console.session import SessionView, get_session_handler
from service.web.openapi.metadata import JSON, Answer, Doc, Route, answer

TAG = "console"
CONSOLE_FILE = CONSOLE_FILES.parameter("One of the console's files.")
OVERVIEW_CONTENT = ((JSON, Overview), (EVENT_STREAM, str))

CONSOLE_ROUTES: tuple[Route, ...] = (
    Route("GET", "/console", console_page, Doc(
        "consolePage", "The operators' web console", TAG,
        description="An HTML page (no CDN, no inline script) that signs in with an API token "
        "kept in the browser's sessionStorage and sent as a Bearer header; see docs/console.md.",
        answers=(Answer(200, "The page.", (("text/html", str),)),),
    )),
    Route("GET", "/console/static/{filename}", CONSOLE_FILES.handler, Doc(
        "consoleStatic", "The console's script and styles", TAG, params=(CONSOLE_FILE,),
        answers=(Answer(200, "The file.", (("text/javascript", str), ("text/css", str))),),
        errors=(NotFound,),
    )),
    Route("GET", "/api/v2/session", get_session_handler, Doc(
        "getSession", "Who the token is", TAG, permission=Permission.READ_ACCOUNTS,
        description="The caller's organization, role and the permissions the role grants: a "
        "page offers only what the caller may do.",
        answers=(answer(200, "The caller.", SessionView),),
    )),
    Route("GET", "/api/v2/console/overview", overview_handler, Doc(
        "watchOverview", "The console's live overview", TAG,
        permission=Permission.WATCH_QUEUES,
        description="Queues (with this process's samples of the last 15 minutes), workers with "
        "their heartbeat's age and status, operations per minute, stuck operations and purges. "
        "JSON by default; with `Accept: text/event-stream`, server-sent events: an `overview` "
        "event every 2 s (an `error` event with the error body when a push fails; after a 401 "
        "or 403 the stream ends), for at most 5 minutes per stream.",
        answers=(Answer(200, "The overview, or the stream of them.", OVERVIEW_CONTENT),),
        errors=(Unavailable,),
    )),
)  # fmt: skip
