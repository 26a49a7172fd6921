"""An operation as its resource: the view type is the shape, and the renderer builds it."""

from __future__ import annotations

import uuid
from typing import Annotated, cast

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from service.domain.errors import ErrorBody
from service.domain.lifecycle import TERMINAL_OPERATION_STATES, OperationKind, OperationState
from service.domain.names import STORED_NAME_PATTERN
from service.domain.results import SuccessBody, result_location
from service.store.operation_reads import OperationRow
from service.web.wire import TimestampText, moment

RESULT_LOCATION_PATTERN = r"^/api/v2/results/[0-9a-f-]{36}$"
ResultLocation = Annotated[str, Field(pattern=RESULT_LOCATION_PATTERN)]


@with_config(ConfigDict(extra="forbid", title="RequestedBy"))
class RequestedByView(TypedDict):
    """The token that asked for an operation."""

    token_id: Annotated[
        str, Field(description="The token's `id`.", json_schema_extra={"format": "uuid"})
    ]
    description: Annotated[str, Field(description="The token's description when it asked.")]


@with_config(ConfigDict(extra="forbid", title="Operation"))
class OperationView(TypedDict):
    """A mutation of an account, from accept to its end."""

    id: Annotated[str, Field(description="The handle.", json_schema_extra={"format": "uuid"})]
    kind: OperationKind
    account: Annotated[
        str, Field(pattern=STORED_NAME_PATTERN, description="The account's name (now).")
    ]
    account_id: Annotated[
        str,
        Field(
            description="The account's immutable `id` (a rename keeps it).",
            json_schema_extra={"format": "uuid"},
        ),
    ]
    state: OperationState
    done: bool
    attempts: Annotated[int, Field(ge=0)]
    step: Annotated[
        str | None, Field(description="What the worker is doing now; null unless running.")
    ]
    created_on: TimestampText
    started_on: TimestampText | None
    finished_on: TimestampText | None
    result: Annotated[
        SuccessBody | None,
        Field(
            description="The final body of a succeeded operation (a password is always null "
            "here: read it from the result)."
        ),
    ]
    error: Annotated[
        ErrorBody | None, Field(description="The error body of a failed or canceled operation.")
    ]
    result_location: ResultLocation
    requested_by: Annotated[
        RequestedByView | None,
        Field(
            description="Who asked for it; null for the service's own operations (a scheduled "
            "purge, a suspension for a storage limit)."
        ),
    ]


def render_operation(row: OperationRow) -> OperationView:
    """An operation as its resource; a generated password is never shown here."""
    operation = row.operation
    done = operation.state in TERMINAL_OPERATION_STATES
    body = dict(operation.response_body or {}) if done else None
    if body is not None and isinstance(body.get("credentials"), dict):
        body["credentials"] = {**body["credentials"], "password": None}
    succeeded = operation.state == OperationState.SUCCEEDED
    return {
        "id": str(operation.id),
        "kind": operation.kind,
        "account": row.account_name,
        "account_id": str(row.account_id),
        "state": operation.state,
        "done": done,
        "attempts": operation.attempts,
        "step": None if done else row.step,
        "created_on": operation.created_at.isoformat(),
        "started_on": moment(operation.started_at),
        "finished_on": moment(operation.finished_at),
        # The body the operation ended with, stored as it was answered.
        "result": cast(SuccessBody, body) if succeeded else None,
        "error": cast(ErrorBody, body) if done and not succeeded else None,
        "result_location": result_location(operation.id),
        "requested_by": _requested_by(operation.requested_by_token, operation.requested_by),
    }


def _requested_by(token_id: uuid.UUID | None, description: str | None) -> RequestedByView | None:
    if token_id is None:
        return None
    return {"token_id": str(token_id), "description": description or ""}
