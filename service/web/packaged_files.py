"""A fixed set of packaged files served by name: only the names listed, each with its type."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from aiohttp import web
from pydantic import WithJsonSchema

from service.domain.errors import NotFound
from service.web.openapi.metadata import Param


@dataclass(frozen=True)
class PackagedFiles:
    """`what` names them in a 404 ("no such console file: x"); `read` returns a file's bytes
    (off the event loop; cache it there)."""

    what: str
    media_types: Mapping[str, str]
    read: Callable[[str], bytes]
    headers: Mapping[str, str]

    async def handler(self, request: web.Request) -> web.Response:
        filename = request.match_info["filename"]
        media_type = self.media_types.get(filename)
        if media_type is None:
            raise NotFound(f"no such {self.what} file: {filename[:64]}")
        return web.Response(
            body=await asyncio.to_thread(self.read, filename),
            content_type=media_type,
            charset="utf-8" if media_type.startswith("text/") else None,
            headers=dict(self.headers),
        )

    def parameter(self, description: str) -> Param:
        """The `{filename}` path parameter, its values listed in the OpenAPI document."""
        names = list(self.media_types)
        return Param(
            "filename",
            "path",
            Annotated[str, WithJsonSchema({"type": "string", "enum": names})],
            description,
            required=True,
        )
