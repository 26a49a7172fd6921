"""The result resource clients poll: the 202 while pending, then the operation's answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from service.domain.lifecycle import TERMINAL_OPERATION_STATES, OperationState

IN_PROGRESS_CODE = "392604"
IN_PROGRESS_MESSAGE = (
    "Request execution in progress. Use the provided location header or result handler ID "
    "to perform query monitoring and management."
)
SUCCESS_STATUS = "Request successfully completed"
RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class ResultResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def result_location(handle: uuid.UUID | str) -> str:
    return f"/api/v2/results/{handle}"


def accepted(handle: uuid.UUID | str) -> ResultResponse:
    """The 202 answered on accept and on every poll until the operation is done."""
    return ResultResponse(
        202,
        {"code": IN_PROGRESS_CODE, "message": IN_PROGRESS_MESSAGE, "resultHandler": str(handle)},
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
