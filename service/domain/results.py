"""The result resource clients poll: the 202 while pending, then the operation's answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NotRequired, cast

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from service.domain.lifecycle import TERMINAL_OPERATION_STATES, OperationState

IN_PROGRESS_CODE: Literal["392604"] = "392604"
IN_PROGRESS_MESSAGE = (
    "Request execution in progress. Use the provided location header or result handler ID "
    "to perform query monitoring and management."
)
SUCCESS_STATUS = "Request successfully completed"
RETRY_AFTER_SECONDS = 1


@with_config(ConfigDict(extra="forbid", title="SuccessAcceptedResponse"))
class AcceptedBody(TypedDict):
    """The 202 body: the operation is recorded and queued (or, polled, still queued or running)."""

    code: Literal["392604"]
    message: str
    resultHandler: Annotated[
        str,
        Field(json_schema_extra={"format": "uuid"}, description="The handle polled at `Location`."),
    ]


@with_config(ConfigDict(extra="forbid"))
class Credentials(TypedDict):
    """How to reach the account's database as its administrator."""

    url: Annotated[
        str, Field(description="`postgresql://<user>@<host>:<port>/<database>` (no password).")
    ]
    host: str
    port: int
    user: str
    database: str
    password: Annotated[
        str | None,
        Field(
            description="A generated password, shown once; null afterwards, to viewers, and when "
            "the client chose it."
        ),
    ]


# "It may carry more fields" (the contract): a finished operation's body is kept as it was.
@with_config(ConfigDict(extra="allow", title="SuccessResponse"))
class SuccessBody(TypedDict):
    """A finished operation's 200 body (or an `ifExists` drop that had nothing to do)."""

    status: Annotated[str, Field(description="`Request successfully completed`, or what happened.")]
    message: NotRequired[str]
    credentials: NotRequired[Credentials]
    warnings: NotRequired[
        Annotated[
            list[str], Field(description="What the caller should know, e.g. a plan below use.")
        ]
    ]


@dataclass(frozen=True)
class ResultResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def result_location(handle: uuid.UUID | str) -> str:
    return f"/api/v2/results/{handle}"


def accepted(handle: uuid.UUID | str) -> ResultResponse:
    """The 202 answered on accept and on every poll until the operation is done."""
    body: AcceptedBody = {
        "code": IN_PROGRESS_CODE,
        "message": IN_PROGRESS_MESSAGE,
        "resultHandler": str(handle),
    }
    return ResultResponse(
        202,
        cast("dict[str, Any]", body),
        {"Location": result_location(handle), "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def success_body(**extra: Any) -> dict[str, Any]:
    return {"status": SUCCESS_STATUS, **extra}


def render_answer(
    handle: uuid.UUID,
    state: OperationState,
    status: int | None,
    body: dict[str, Any] | None,
    password: str | None,
) -> ResultResponse:
    if state not in TERMINAL_OPERATION_STATES or status is None:
        return accepted(handle)
    answer = dict(body or {})
    if isinstance(answer.get("credentials"), dict):
        answer["credentials"] = {**answer["credentials"], "password": password}
    return ResultResponse(status, answer)
