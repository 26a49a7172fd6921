"""The shapes of a GraphQL request and answer over HTTP, as the OpenAPI document describes them."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from service.domain.errors import ErrorCode


@with_config(ConfigDict(extra="forbid", title="GraphQLRequest"))
class GraphQLRequest(TypedDict):
    """One GraphQL operation (batches are refused)."""

    query: Annotated[str, Field(description="The document (see docs/graphql.md).")]
    variables: NotRequired[dict[str, Any] | None]
    operationName: NotRequired[str | None]
    extensions: NotRequired[dict[str, Any] | None]


@with_config(ConfigDict(extra="allow"))
class GraphQLErrorExtensions(TypedDict):
    code: Annotated[ErrorCode, Field(description="The REST error code.")]
    request_id: str


@with_config(ConfigDict(extra="allow", title="GraphQLError"))
class GraphQLErrorBody(TypedDict):
    message: str
    extensions: GraphQLErrorExtensions


@with_config(ConfigDict(extra="forbid", title="GraphQLResponse"))
class GraphQLResponse(TypedDict):
    """`data`, and `errors` when something was refused or failed."""

    data: dict[str, Any] | None
    errors: NotRequired[list[GraphQLErrorBody]]
