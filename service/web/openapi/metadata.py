"""What the route table says about each operation, for the generated OpenAPI document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from service.domain.errors import ServiceError
from service.domain.roles import Permission

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON = "application/json"


@dataclass(frozen=True)
class Param:
    """A query, path or header parameter; `type` is what pydantic describes (with constraints)."""

    name: str
    location: Literal["query", "path", "header"]
    type: Any
    description: str
    required: bool = False
    example: str | None = None


@dataclass(frozen=True)
class Header:
    """A response header."""

    name: str
    type: Any
    description: str
    required: bool = True


@dataclass(frozen=True)
class Answer:
    """One response: its status, and its body's type per media type (a type pydantic describes).

    A named answer is written once under `components/responses` and referred to by name; an
    answer with `error` has the error body with that error's code.
    """

    status: int
    description: str
    content: tuple[tuple[str, Any], ...] = ()
    headers: tuple[Header, ...] = ()
    name: str | None = None
    error: tuple[type[ServiceError], ...] = ()


def answer(status: int, description: str, body: Any, *, headers: tuple[Header, ...] = ()) -> Answer:
    """A JSON answer whose body is `body`."""
    return Answer(status, description, ((JSON, body),), headers)


@dataclass(frozen=True)
class Doc:
    """An operation's documentation: the parts no type says."""

    operation_id: str
    summary: str
    tag: str
    answers: tuple[Answer, ...]
    description: str = ""
    # The permission the handler checks; None: public (no token).
    permission: Permission | None = None
    params: tuple[Param, ...] = ()
    # The model that validates the body, its description and the media types it comes in.
    body: Any = None
    body_description: str = ""
    body_media_types: tuple[str, ...] = (JSON,)
    # Refusals beyond those every authenticated operation has (401, 403, 429, 500, 503).
    errors: tuple[type[ServiceError], ...] = ()


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler = field(compare=False)
    doc: Doc
