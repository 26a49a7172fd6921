"""The document's own words: what the API is, its tags and how it authenticates."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

DESCRIPTION = """\
Asynchronous account provisioning with Snowflake's accounts REST API on the wire (its
`account.yaml` and `result.yaml`: clients written for it work unchanged), plus single-account
reads, updates, operations, tokens and monitoring.

**Authentication.** `Authorization: Bearer <token>`; `Authorization: Snowflake Token="<token>"`
is accepted too. `X-Snowflake-Authorization-Token-Type` and `X-Snowflake-External-Session-ID`
are accepted and ignored. A token belongs to one organization and has one role: `admin`
(everything, including tokens), `operator` (account reads and mutations, queues) or `viewer`
(reads). No, an unknown, a revoked or an expired token: 401 with `WWW-Authenticate`; a role that
may not: 403; another organization's objects do not exist for the caller: 404.

**Asynchronous mutations.** Create, update, drop, undrop and rotateCredentials are answered
`202 Accepted` with `Location: /api/v2/results/<handle>` and `Retry-After: 1`; poll the location
until it answers the operation's final status and body.

**Errors.** Every 4xx/5xx body is `{"code", "error_code", "message", "request_id"}`, including
the framework's own: an unknown path is 404 `not_found`, a method a path does not have is 405
`method_not_allowed`, a body over 1 MiB is 413.

**Request ids.** Every response carries `X-Snowflake-Request-ID`.

No string in a query or a body may contain U+0000 (PostgreSQL cannot store it): a 400.
Every `GET` also answers `HEAD`. Booleans in query strings are `true`/`false` in any case; a raw
`+` in a query string is a plus sign.
"""

INFO: dict[str, Any] = {
    "title": "account-provisioner",
    "version": version("account-provisioner"),
    "description": DESCRIPTION,
    "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
}
TAGS: list[dict[str, str]] = [
    {"name": "accounts", "description": "Snowflake's accounts API and our additions."},
    {"name": "results", "description": "Polling asynchronous operations (Snowflake's result API)."},
    {"name": "operations", "description": "Operations as a resource, and the queues."},
    {"name": "editions", "description": "The plan table."},
    {"name": "tokens", "description": "API tokens (admin)."},
    {"name": "clusters", "description": "The fleet of tenant clusters (admin)."},
    {"name": "health", "description": "Probes and metrics (no authentication)."},
    {"name": "docs", "description": "This document and its human-readable page."},
]
SECURITY_SCHEME: dict[str, str] = {
    "type": "http",
    "scheme": "bearer",
    "description": "`Authorization: Bearer <token>`. Also accepted: `Authorization: Snowflake "
    'Token="<token>"`. Tokens are made by `provisioner token create` or `POST /api/v2/tokens`.',
}

# What each operation does, by operationId (the route table adds its least role).
DESCRIPTIONS: dict[str, str] = {
    "healthz": ("200 while the process is alive; touches neither PostgreSQL nor Redis."),
    "readyz": (
        "200 when PostgreSQL and Redis each answer within 2 s, else 503 `unavailable` naming what "
        "does not answer."
    ),
    "metrics": (
        "Prometheus text exposition format. Unauthenticated like `/healthz`: keep it on an internal"
        " network. Figures read from PostgreSQL and Redis at scrape time (within 3 s; a slow "
        "dependency serves the previous snapshot)."
    ),
    "docsPage": (
        "An HTML page rendering this document with Swagger UI, served from the "
        "`swagger-ui-bundle-v2` Python package: it works offline (no CDN)."
    ),
    "listAccounts": (
        "The organization's accounts ordered by `orderBy` (default: by name). Without `history`, "
        "only `CREATING`, `ACTIVE` and `DROPPING` accounts are listed.\n\n"
        "**Paging**: pass the last name of a page as `fromName` of the next one, with the same "
        "`showLimit`. There is deliberately no `Link` header here: clients of Snowflake's API read "
        'one as "the result was split into result pages".'
    ),
    "createAccount": (
        "Validated and checked for conflicts at once (a taken name or `external_id` is 409 "
        "`already_exists`), then created by a worker: answered 202 with the result handle in "
        "`Location`. The final result carries `credentials` (a generated password is shown once, to"
        " the first `operator` or `admin` reading the finished result). It is placed on an open "
        "tenant cluster of its `region` at once: a region no cluster has is 400 (naming the "
        "regions that exist), one with no open cluster with room is 409 `conflict`."
    ),
    "getAccount": ("Also while the account is dropped (until it is purged)."),
    "updateAccount": (
        "A JSON merge patch (RFC 7396) of `comment`, `edition` (a plan change: the driver applies "
        "the new edition's limits), `name` (a rename; the old URL is kept in `old_account_url`), "
        "`enabled` (`false` suspends logins without dropping anything), `deletion_protection` "
        "(while `true`, a drop is 409) and `external_id`. `null` clears `comment` and "
        "`external_id`. Read-only, write-only or unknown fields, and an empty patch, are a 400 "
        "naming them. Applied by a worker: 202 + `Location`. Only an `ACTIVE` account with no "
        "operation in flight can be updated (else 409); a new name or `external_id` that another "
        "account holds is 409 `already_exists`."
    ),
    "deleteAccount": (
        "Drops the account: its logins stop at once and it is purged `gracePeriodInDays` after the "
        "drop, until when it can be undropped and its name stays taken. 409 while "
        "`deletion_protection` is on or another operation is in flight. With `ifExists=true`, an "
        "unknown account or one already dropping, dropped or purging is a 200 that does nothing."
    ),
    "undropAccount": (
        "Restores a `DROPPED` account within its grace period (any other state: 409)."
    ),
    "rotateAccountCredentials": (
        "Sets a new generated password; the final result carries `credentials` with it (shown "
        "once). Only an `ACTIVE` account with no operation in flight (else 409)."
    ),
    "getAccountPlan": (
        "The account's edition, each of its limits (`GET /api/v2/editions`) and its usage as the "
        "usage scan last measured it against each: `over` above the limit (a connection count at "
        "the limit is allowed), `near` at or above 90% of it. `used` is null until the account "
        "was measured. Also while the account is dropped."
    ),
    "purgeAccount": (
        "Erases a `DROPPED` account now, without waiting for its grace period (an erasure request):"
        " its database and login are removed, its name is freed and it cannot be undropped. "
        "Admin tokens only (else 403). Any other state, or an operation in flight (such as the "
        "scheduled purge), is 409. 202 + `Location`; the operation records who asked."
    ),
    "fetchResult": (
        "202 (with `Location` and `Retry-After`) while the operation is queued or running; then its"
        " final answer: 200 on success (create and rotateCredentials add `credentials`), 500 "
        "`internal` when it failed, 409 `conflict` when it was canceled. With `wait=N` the request "
        "is held until the operation is done or N seconds pass."
    ),
    "listOperations": (
        'Newest first. More pages: follow the `Link: <…>; rel="next"` header (this endpoint is not '
        "Snowflake's, so it may use one)."
    ),
    "cancelOperation": (
        "A `queued` operation becomes `canceled` and the account goes back to the state it had (a "
        "canceled create frees the name); a running or finished one is 409."
    ),
    "getQueues": ("Cached for 2 s; 503 when it cannot be computed within 3 s."),
    "createToken": ("The token's secret is in this answer only; it is stored as a hash."),
    "listTokens": ("The organization's tokens, oldest first, never their secrets."),
    "revokeToken": ("Refused (401) at once. Revoking a revoked token answers the same 200."),
    "addCluster": (
        "The cluster is checked first: it must answer within 5 s, run PostgreSQL 14 or newer, "
        "and the URL's role must be a superuser (400 saying what is wrong). The URL is sealed "
        "with `SECRET_KEY` and never returned or logged; only workers open it."
    ),
    "changeCluster": (
        "`state`: `draining` or `closed` take no new accounts (the ones there keep working); "
        "`capacity` below what it holds only stops new placements; `url` (the cluster moved) is "
        "probed like an add and sealed, and workers use it within 5 s."
    ),
    "removeCluster": ("Refused (409) while it holds accounts that are not purged."),
    "listClusterAccounts": (
        "Every organization's accounts on the cluster (not purged or failed), oldest first: what "
        "to move off a draining cluster. Paged: `limit` defaults to its maximum, so a small "
        "cluster's accounts come in one answer; while there are more, follow the `Link` header. "
        "Admins of `FLEET_ORGANIZATIONS` organizations only."
    ),
    "moveAccountToCluster": (
        "Moves the account with this `id`, of any organization, to the cluster (the same checks "
        "and refusals as `moveAccount`). The operation is the account's organization's; its "
        "result is readable by the token that asked too."
    ),
}
