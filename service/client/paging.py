"""A list the API pages: its first page, or (`--all`) every page its `Link` headers lead to."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.client.http import ApiClient, Params, next_link

AllPagesOption = Annotated[
    bool, typer.Option("--all", help="Follow the Link header through every page")
]


def pages(api: ApiClient, path: str, params: Params, *, every_page: bool) -> list[Any]:
    reply = api.request("GET", path, params=params)
    found: list[Any] = list(reply.body)
    following = next_link(reply.headers)
    while every_page and following is not None:
        reply = api.request("GET", following)
        found.extend(reply.body)
        following = next_link(reply.headers)
    return found
