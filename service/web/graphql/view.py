"""`POST /api/v2/graphql` and `GET /api/v2/graphql/schema.graphql`: the schema, served by
strawberry's aiohttp view behind the same authentication, rate limit and request ids as REST."""

from __future__ import annotations

import functools
import json
from http import HTTPStatus
from typing import Any

import orjson
import strawberry
from aiohttp import web
from cross_web import HTTPException
from graphql import GraphQLError
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from service.domain.errors import InvalidArgument, NotFound, PayloadTooLarge
from service.domain.roles import Permission
from service.domain.tokens import Principal
from service.web.auth import authorize
from service.web.graphql.context import Context
from service.web.graphql.documents import ValidDocuments
from service.web.graphql.errors import render_error
from service.web.graphql.limits import MAX_DOCUMENT_BYTES, limit_extensions
from service.web.graphql.mutations import Mutation
from service.web.graphql.queries import Query
from service.web.graphql.types import SCALARS
from service.web.keys import REQUEST_ID

PRINCIPAL = web.RequestKey("graphql_principal", Principal)


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Not logged here: the view's translation logs the unexpected ones, once."""


@functools.cache
def schema() -> strawberry.Schema:
    return _Schema(
        query=Query,
        mutation=Mutation,
        extensions=limit_extensions(ValidDocuments()),
        config=StrawberryConfig(scalar_map=dict(SCALARS)),
    )


class _View(GraphQLView[Context, None]):
    async def get_context(self, request: web.Request, response: Any) -> Context:
        return Context(request=request, principal=request[PRINCIPAL])

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        answer: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            answer["errors"] = [render_error(e, request[REQUEST_ID]) for e in result.errors]
        return answer

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError:  # what orjson refuses (an int over 64 bits, ...) stdlib writes
            return json.dumps(data, separators=(",", ":")).encode()

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        sub_response.body = self.encode_json(response_data)
        sub_response.content_type = "application/json"
        return sub_response

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            # strawberry's own refusals (not JSON, no operation, ...) as the contract's errors
            if exc.status_code == HTTPStatus.NOT_FOUND:
                raise NotFound(exc.reason) from None
            raise InvalidArgument(exc.reason) from None


@functools.cache
def _view() -> _View:
    return _View(schema(), graphql_ide=None, allow_queries_via_get=False, subscription_protocols=())


async def graphql_handler(request: web.Request) -> web.StreamResponse:
    request[PRINCIPAL] = await authorize(request, Permission.READ_ACCOUNTS)
    if request.content_length is not None and request.content_length > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"a GraphQL request is at most {MAX_DOCUMENT_BYTES} bytes")
    body = await request.read()  # kept by the request: the view reads it again
    if len(body) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(f"a GraphQL request is at most {MAX_DOCUMENT_BYTES} bytes")
    _require_one_request(body)
    return await _view()(request)


def _require_one_request(body: bytes) -> None:
    """A JSON object (strawberry takes any JSON, and fails on a string or a number)."""
    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise InvalidArgument(
            'the body must be one GraphQL request as a JSON object: {"query": …, "variables": '
            '…, "operationName": …} (batches are not accepted)'
        )


@functools.cache
def schema_sdl() -> str:
    return schema().as_str() + "\n"


async def schema_handler(request: web.Request) -> web.Response:
    await authorize(request, Permission.READ_ACCOUNTS)
    return web.Response(text=schema_sdl(), content_type="text/plain")
