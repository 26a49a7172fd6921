"""The parameters and response headers operations share, with the limits the handlers enforce."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from service.domain.lifecycle import MAX_GRACE_DAYS, MIN_GRACE_DAYS, OperationKind, OperationState
from service.domain.names import IDENTIFIER_PATTERN
from service.domain.refs import (
    EXTERNAL_ID_ALIAS,
    EXTERNAL_ID_PREFIX,
    ID_PREFIX,
    MAX_EXTERNAL_ID_LENGTH,
)
from service.store.idempotency import HEADER as IDEMPOTENCY_HEADER
from service.store.idempotency import MAX_KEY_LENGTH
from service.store.listing import MAX_SHOW_LIMIT, ORDERINGS
from service.store.moves import ACCOUNTS_PAGE
from service.store.operation_reads import DEFAULT_LIMIT, MAX_LIMIT
from service.web.middlewares import (
    CLIENT_REQUEST_ID_HEADER,
    MAX_CLIENT_REQUEST_ID,
    REQUEST_ID_HEADER,
)
from service.web.openapi.metadata import Header, Param
from service.web.waiters import MAX_WAIT_SECONDS

NUL_FREE = r"^[^\u0000]*$"
Text = Annotated[str, Field(pattern=NUL_FREE)]
Flag = Annotated[bool, Field(default=False)]

REQUEST_ID = Param(
    CLIENT_REQUEST_ID_HEADER,
    "header",
    str,
    f"Your id for this request: used as the response's `{REQUEST_ID_HEADER}` (and in logs and "
    f"error bodies) when it is at most {MAX_CLIENT_REQUEST_ID} printable characters; otherwise "
    "a new UUID is.",
)
IDEMPOTENCY_KEY = Param(
    IDEMPOTENCY_HEADER,
    "header",
    Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH, pattern=r"^[ -~]+$")],
    f"1-{MAX_KEY_LENGTH} printable ASCII characters. Within 24 hours the same key with the same "
    "request (in the same organization) gets the first answer again, without a second "
    "operation; with a different request it is 409 `conflict`.",
)
# An account as a path segment or a query value: a name, `id:<id>` or `externalId:<value>`.
ACCOUNT_REF = Annotated[
    str,
    Field(
        min_length=1,
        max_length=len(EXTERNAL_ID_PREFIX) + MAX_EXTERNAL_ID_LENGTH,
        pattern=f"^(?:{IDENTIFIER_PATTERN.strip('^$')}|{ID_PREFIX}[0-9A-Fa-f-]{{32,36}}"
        f"|(?:{EXTERNAL_ID_PREFIX}|{EXTERNAL_ID_ALIAS})[^/]{{1,{MAX_EXTERNAL_ID_LENGTH}}})$",
    ),
]
NAME = Param(
    "name",
    "path",
    ACCOUNT_REF,
    "The account: its name (a letter or `_`, then letters, digits, `_` or `$`, at most 255 "
    "characters; case-insensitive, stored upper case), or `id:<id>` (the account's immutable "
    "`id`), or `externalId:<external_id>` (also spelled `externalID:`). Names cannot contain "
    "`:`; an unknown account is the "
    "same 404 whichever form names it.",
    required=True,
    example="MY_ACCOUNT",
)
HANDLE = Param(
    "handle", "path", uuid.UUID, "The operation's handle, as in the `Location` of its 202.", True
)
TOKEN_ID = Param("token_id", "path", uuid.UUID, "The token's `id`.", True)
WAIT = Param(
    "wait",
    "query",
    Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, default=0)],
    "Hold the request until the operation is done or this many seconds pass.",
)
LIKE = Param(
    "like",
    "query",
    Annotated[str, Field(pattern=r"^(?:[^\\\u0000]|\\[^\u0000])*$")],
    "Case-insensitive SQL pattern on the name: `%` any run, `_` one character, `\\` escapes the "
    "next character (a trailing unescaped `\\` is a 400).",
    example="prod_%",
)


def _page_size(name: str, what: str, *, most: int, default: int) -> Param:
    return Param(
        name,
        "query",
        Annotated[int, Field(ge=1, le=most, default=default)],
        f"At most this many {what}.",
    )


SHOW_LIMIT = _page_size("showLimit", "accounts", most=MAX_SHOW_LIMIT, default=MAX_SHOW_LIMIT)
FROM_NAME = Param(
    "fromName",
    "query",
    Text,
    "Start after the first name that starts with this (case-sensitive; names are upper case). "
    "Pass a page's last name to get the next page.",
)
HISTORY = Param(
    "history",
    "query",
    Flag,
    "Also list dropped accounts that are not purged yet (`DROPPED`, `UNDROPPING`, `PURGING`). "
    "`true`/`false` in any case.",
)
EXTERNAL_ID = Param(
    "externalId", "query", Text, "Only the account whose `external_id` is exactly this."
)
ORDER_BY = Param(
    "orderBy",
    "query",
    Annotated[str, WithJsonSchema({"type": "string", "enum": list(ORDERINGS), "default": "name"})],
    "Sort key; `-` for descending. `fromName` pages through names, so it needs `orderBy=name` "
    "(else 400).",
)
GRACE_PERIOD = Param(
    "gracePeriodInDays",
    "query",
    Annotated[int, Field(ge=MIN_GRACE_DAYS, le=MAX_GRACE_DAYS)],
    "Days during which the account can be undropped; then it is purged.",
    required=True,
)
IF_EXISTS = Param(
    "ifExists",
    "query",
    Flag,
    "`true`: an unknown account, or one already dropping, dropped or purging, is a 200 that "
    "does nothing instead of a 404 or 409.",
)
STATE = Param("state", "query", OperationState, "Only operations in this state.")
KIND = Param("kind", "query", OperationKind, "Only operations of this kind.")
ACCOUNT = Param(
    "account",
    "query",
    ACCOUNT_REF,
    "Only operations on this account: its name (case-insensitive; every account that held the "
    "name), `id:<id>` or `externalId:<external_id>`, as in the account routes.",
)
SINCE = Param(
    "since",
    "query",
    datetime,
    "Only operations created at or after this RFC 3339 time (with an offset).",
)
REQUESTED_BY = Param(
    "requestedBy", "query", uuid.UUID, "Only operations this token asked for (the token's `id`)."
)
LIMIT = _page_size("limit", "operations", most=MAX_LIMIT, default=DEFAULT_LIMIT)
CLUSTER_ACCOUNTS_LIMIT = _page_size("limit", "accounts", most=ACCOUNTS_PAGE, default=ACCOUNTS_PAGE)
CURSOR = Param(
    "cursor", "query", Text, "Opaque: taken from the `Link` header of the previous page."
)
INCLUDE_REVOKED = Param("includeRevoked", "query", Flag, "Also list revoked tokens.")

REQUEST_ID_ANSWERED = Header(
    REQUEST_ID_HEADER,
    Annotated[str, Field(min_length=1, max_length=MAX_CLIENT_REQUEST_ID)],
    f"The request's id: your `{CLIENT_REQUEST_ID_HEADER}` when it is at most "
    f"{MAX_CLIENT_REQUEST_ID} printable characters, else a new UUID. Also in error bodies and "
    "logs.",
)
LOCATION = Header(
    "Location",
    Annotated[str, Field(pattern=r"^/api/v2/results/[0-9a-f-]{36}$")],
    "The result to poll: always a path starting with `/`.",
)
RETRY_AFTER = Header(
    "Retry-After", Annotated[int, Field(ge=1)], "Seconds to wait before trying again."
)
LINK = Header(
    "Link",
    Annotated[str, Field(pattern=r'^<[^>]+>; rel="next"$')],
    'The next page, when there is one: `<path?…&cursor=…>; rel="next"`.',
    required=False,
)
WWW_AUTHENTICATE = Header(
    "WWW-Authenticate",
    Literal['Bearer realm="account-provisioner"'],
    "The authentication challenge.",
)

CLUSTER_NAME = Param(
    "name",
    "path",
    Annotated[str, Field(min_length=1, max_length=63)],
    "The tenant cluster's name (case-insensitive).",
    True,
)
