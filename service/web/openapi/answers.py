"""The answers many operations share: accepted, nothing to do, and each refusal."""

from __future__ import annotations

from itertools import groupby

from service.domain.errors import (
    Internal,
    RateLimited,
    ServiceError,
    Unauthenticated,
    Unavailable,
)
from service.domain.results import AcceptedBody, SuccessBody
from service.web.openapi.metadata import JSON, Answer, Header, answer
from service.web.openapi.parameters import LOCATION, RETRY_AFTER, WWW_AUTHENTICATE

ACCEPTED = Answer(
    202,
    "Accepted: the operation is recorded and queued (or, polled, still queued or running). "
    "Poll `Location`.",
    ((JSON, AcceptedBody),),
    (LOCATION, RETRY_AFTER),
    name="Accepted",
)
NOTHING_TO_DO = Answer(
    200, "Nothing to do (`ifExists=true`).", ((JSON, SuccessBody),), name="NothingToDo"
)
SUCCEEDED = answer(200, "The operation succeeded.", SuccessBody)

# Headers a refusal carries besides the request id.
REFUSAL_HEADERS: dict[type[ServiceError], tuple[Header, ...]] = {
    Unauthenticated: (WWW_AUTHENTICATE,),
    RateLimited: (RETRY_AFTER,),
    Unavailable: (RETRY_AFTER,),
}
# Every operation that takes a token can be refused so.
AUTHENTICATED_REFUSALS: tuple[type[ServiceError], ...] = (
    Unauthenticated,
    RateLimited,
    Internal,
    Unavailable,
)
# The names the refusals of one status are written under in `components/responses`.
REFUSAL_NAMES: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "PayloadTooLarge",
    429: "TooManyRequests",
    500: "InternalError",
    503: "Unavailable",
}


def _description(error: type[ServiceError]) -> str:
    return " ".join((error.__doc__ or error.code).split())


def refusals(errors: tuple[type[ServiceError], ...]) -> list[Answer]:
    """One answer per status; the errors of one status (409: `already_exists` or `conflict`)
    share it."""
    by_status = sorted(set(errors), key=lambda error: (error.status, error.code))
    return [
        Answer(
            status,
            " Or ".join(_description(error) for error in group),
            headers=tuple(h for error in group for h in REFUSAL_HEADERS.get(error, ())),
            name=REFUSAL_NAMES.get(status),
            error=group,
        )
        for status, grouped in groupby(by_status, key=lambda error: error.status)
        for group in [tuple(grouped)]
    ]
