"""The whole URL table, with what the OpenAPI document says about each route."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import orjson
from aiohttp import web
from pydantic import WithJsonSchema

from service.domain.clusters import ClusterAdd, ClusterPatch
from service.domain.errors import (
    AlreadyExists,
    Conflict,
    Internal,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from service.domain.errors import PayloadTooLarge as TooLarge
from service.domain.moves import AccountMove, FleetMove
from service.domain.patches import AccountPatch
from service.domain.roles import Permission
from service.domain.schemas import AccountCreate
from service.domain.tokens import TokenRequest
from service.web import (
    accounts,
    clusters,
    docs,
    editions,
    health,
    metrics,
    moves,
    operations,
    queues,
    results,
)
from service.web import tokens as token_handlers
from service.web.account_view import AccountView
from service.web.cluster_view import ClusterAccountView, ClusterView, RemovedClusterView
from service.web.console.routes import CONSOLE_ROUTES
from service.web.graphql import view as graphql
from service.web.graphql.limits import MAX_DOCUMENT_BYTES
from service.web.graphql.wire import GraphQLRequest, GraphQLResponse
from service.web.openapi import parameters as p
from service.web.openapi.answers import ACCEPTED, NOTHING_TO_DO, SUCCEEDED
from service.web.openapi.document import build_document
from service.web.openapi.metadata import JSON, Answer, Doc, Handler, Route, answer
from service.web.openapi.prose import DESCRIPTIONS as D
from service.web.operation_view import OperationView
from service.web.plans import PlanView, get_plan_handler
from service.web.queue_view import QueueReport
from service.web.token_view import NewTokenView, RevokedTokenView, TokenView

READ, MUTATE = Permission.READ_ACCOUNTS, Permission.MUTATE_ACCOUNTS
TOKENS = Permission.MANAGE_TOKENS
FLEET = Permission.MANAGE_CLUSTERS
MUTATION_ERRORS = (InvalidArgument, NotFound, Conflict)
AT_NAME = (p.NAME, p.IDEMPOTENCY_KEY)
PngBytes = Annotated[str, WithJsonSchema({"type": "string", "contentMediaType": "image/png"})]
STATIC_CONTENT = (("text/css", str), ("text/javascript", str), ("image/png", PngBytes))
EDITIONS = "Each edition with the limits the driver applies."
CANCELED = Answer(409, "The operation was canceled (`conflict`).", error=(Conflict,))
FAILED = Answer(
    500,
    "The operation failed (`internal`; the message says why), or the service failed.",
    error=(Internal,),
)


def _document() -> bytes:
    return openapi_bytes()


def _route(
    spec: str, handler: Handler, operation_id: str, summary: str, tag: str, **doc: Any
) -> Route:
    """`spec` is "METHOD /path"; the operation's description is its entry in DESCRIPTIONS."""
    method, path = spec.split(" ")
    described = Doc(operation_id, summary, tag, description=D.get(operation_id, ""), **doc)
    return Route(method, path, handler, described)


# Not formatted (the `fmt: skip` at its end): a route a block, its parts on few lines, reads
# as a table.
ROUTES: tuple[Route, ...] = (
    _route(
        "GET /healthz", health.healthz, "healthz", "Liveness probe", "health",
        answers=(answer(200, "The process is alive.", health.Health),),
    ),
    _route(
        "GET /readyz", health.readyz, "readyz", "Readiness probe", "health",
        answers=(answer(200, "PostgreSQL and Redis answer.", health.Ready),),
        errors=(Unavailable,),
    ),
    _route(
        "GET /metrics", metrics.metrics_handler, "metrics", "Prometheus metrics", "health",
        answers=(Answer(200, "The metrics.", (("text/plain", str),)),),
        errors=(Unauthenticated, Internal, Unavailable),
    ),
    _route(
        "GET /api/v2/openapi.json", docs.openapi_handler(_document), "getOpenApiSpec",
        "This OpenAPI document", "docs",
        answers=(answer(200, "This document, as JSON.", docs.OpenApiDocument),),
    ),
    _route(
        "GET /docs", docs.docs_handler, "docsPage", "API documentation (Swagger UI)", "docs",
        answers=(Answer(200, "The documentation page.", (("text/html", str),)),),
    ),
    _route(
        "GET /docs/static/{filename}", docs.SWAGGER_FILES.handler, "docsStatic",
        "Swagger UI's static files", "docs",
        params=(docs.SWAGGER_FILES.parameter("One of Swagger UI's files."),),
        answers=(Answer(200, "The file.", STATIC_CONTENT),), errors=(NotFound,),
    ),
    # Actions first: the plain `{name}` route would also match `NAME:undrop`.
    _route(
        "POST /api/v2/accounts/{name}:undrop", accounts.undrop_account_handler,
        "undropAccount", "Undrop an account", "accounts", permission=MUTATE,
        params=AT_NAME, answers=(ACCEPTED,), errors=MUTATION_ERRORS,
    ),
    _route(
        "POST /api/v2/accounts/{name}:rotateCredentials", accounts.rotate_credentials_handler,
        "rotateAccountCredentials", "Rotate the administrator's password", "accounts",
        permission=MUTATE, params=AT_NAME, answers=(ACCEPTED,), errors=MUTATION_ERRORS,
    ),
    _route(
        "POST /api/v2/accounts/{name}:purge", accounts.purge_account_handler,
        "purgeAccount", "Purge a dropped account now", "accounts",
        permission=Permission.PURGE_ACCOUNTS, params=AT_NAME, answers=(ACCEPTED,),
        errors=MUTATION_ERRORS,
    ),
    _route(
        "POST /api/v2/accounts/{name}:move", moves.move_account_handler,
        "moveAccount", "Move an account to another tenant cluster", "accounts",
        permission=FLEET, params=AT_NAME, body=AccountMove,
        body_description="The cluster to move to: open, in the account's region, with room.",
        answers=(ACCEPTED,), errors=(*MUTATION_ERRORS, TooLarge),
    ),
    _route(
        "GET /api/v2/accounts", accounts.list_accounts_handler, "listAccounts",
        "List accounts", "accounts", permission=READ,
        params=(p.LIKE, p.SHOW_LIMIT, p.FROM_NAME, p.HISTORY, p.EXTERNAL_ID, p.ORDER_BY),
        answers=(answer(200, "The accounts.", list[AccountView]),), errors=(InvalidArgument,),
    ),
    _route(
        "POST /api/v2/accounts", accounts.create_account_handler, "createAccount",
        "Create an account", "accounts", permission=MUTATE, params=(p.IDEMPOTENCY_KEY,),
        body=AccountCreate, body_description="The account to create (at most 1 MiB).",
        answers=(ACCEPTED,), errors=(InvalidArgument, AlreadyExists, Conflict, TooLarge),
    ),
    _route(
        "GET /api/v2/accounts/{name}", accounts.get_account_handler, "getAccount",
        "Read one account", "accounts", permission=READ, params=(p.NAME,),
        answers=(answer(200, "The account.", AccountView),),
        errors=(InvalidArgument, NotFound),
    ),
    _route(
        "DELETE /api/v2/accounts/{name}", accounts.drop_account_handler, "deleteAccount",
        "Drop an account", "accounts", permission=MUTATE,
        params=(p.NAME, p.GRACE_PERIOD, p.IF_EXISTS, p.IDEMPOTENCY_KEY),
        answers=(NOTHING_TO_DO, ACCEPTED), errors=MUTATION_ERRORS,
    ),
    _route(
        "PATCH /api/v2/accounts/{name}", accounts.update_account_handler, "updateAccount",
        "Update an account (JSON merge patch)", "accounts", permission=MUTATE, params=AT_NAME,
        body=AccountPatch, body_description="The changes (at most 1 MiB).",
        body_media_types=("application/merge-patch+json", JSON),
        answers=(ACCEPTED,), errors=(*MUTATION_ERRORS, AlreadyExists, TooLarge),
    ),
    _route(
        "GET /api/v2/accounts/{name}/plan", get_plan_handler, "getAccountPlan",
        "An account's plan: its limits and its usage against each", "accounts",
        permission=READ, params=(p.NAME,),
        answers=(answer(200, "The plan.", PlanView),), errors=(InvalidArgument, NotFound),
    ),
    _route(
        "GET /api/v2/results/{handle}", results.get_result_handler, "fetchResult",
        "Poll a result", "results", permission=READ, params=(p.HANDLE, p.WAIT),
        answers=(SUCCEEDED, ACCEPTED, CANCELED, FAILED), errors=(InvalidArgument, NotFound),
    ),
    _route(
        "POST /api/v2/operations/{handle}:cancel", operations.cancel_operation_handler,
        "cancelOperation", "Cancel a queued operation", "operations", permission=MUTATE,
        params=(p.HANDLE,), answers=(answer(200, "The canceled operation.", OperationView),),
        errors=(NotFound, Conflict),
    ),
    _route(
        "GET /api/v2/operations", operations.list_operations_handler, "listOperations",
        "List operations", "operations", permission=READ,
        params=(p.STATE, p.KIND, p.ACCOUNT, p.SINCE, p.LIMIT, p.CURSOR, p.REQUESTED_BY),
        answers=(answer(200, "The operations.", list[OperationView], headers=(p.LINK,)),),
        errors=(InvalidArgument,),
    ),
    _route(
        "GET /api/v2/operations/{handle}", operations.get_operation_handler, "getOperation",
        "Read one operation", "operations", permission=READ, params=(p.HANDLE, p.WAIT),
        answers=(answer(200, "The operation.", OperationView),),
        errors=(InvalidArgument, NotFound),
    ),
    _route(
        "GET /api/v2/queues", queues.get_queues_handler, "getQueues",
        "Queues, workers and backlogs", "operations", permission=Permission.WATCH_QUEUES,
        answers=(answer(200, "The operator's view.", QueueReport),),
    ),
    _route(
        "GET /api/v2/editions", editions.list_editions_handler, "listEditions",
        "Editions and their limits", "editions", permission=READ,
        answers=(answer(200, EDITIONS, list[editions.EditionView]),),
    ),
    _route(
        "POST /api/v2/tokens", token_handlers.create_token_handler, "createToken",
        "Create a token", "tokens", permission=TOKENS,
        body=TokenRequest, body_description="The token to create (at most 1 MiB).",
        answers=(answer(201, "The new token, with its secret.", NewTokenView),),
        errors=(InvalidArgument, TooLarge),
    ),
    _route(
        "GET /api/v2/tokens", token_handlers.list_tokens_handler, "listTokens",
        "List tokens", "tokens", permission=TOKENS, params=(p.INCLUDE_REVOKED,),
        answers=(answer(200, "The tokens.", list[TokenView]),), errors=(InvalidArgument,),
    ),
    _route(
        "DELETE /api/v2/tokens/{token_id}", token_handlers.revoke_token_handler, "revokeToken",
        "Revoke a token", "tokens", permission=TOKENS, params=(p.TOKEN_ID,),
        answers=(answer(200, "The revoked token.", RevokedTokenView),), errors=(NotFound,),
    ),
    _route(
        "POST /api/v2/graphql", graphql.graphql_handler, "graphql", "GraphQL", "graphql",
        permission=READ, body=GraphQLRequest,
        body_description=f"One GraphQL request (at most {MAX_DOCUMENT_BYTES} bytes).",
        answers=(answer(200, "The result: `data`, and `errors` (with `extensions.code`).",
                        GraphQLResponse),),
        errors=(InvalidArgument, TooLarge),
    ),
    _route(
        "GET /api/v2/graphql/schema.graphql", graphql.schema_handler, "graphqlSchema",
        "The GraphQL schema (SDL)", "graphql", permission=READ,
        answers=(Answer(200, "The schema in GraphQL's schema language.", (("text/plain", str),)),),
    ),
    _route(
        "GET /api/v2/clusters", clusters.list_clusters_handler, "listClusters",
        "List tenant clusters", "clusters", permission=FLEET,
        answers=(answer(200, "The fleet, by name.", list[ClusterView]),),
    ),
    _route(
        "POST /api/v2/clusters", clusters.add_cluster_handler, "addCluster",
        "Add a tenant cluster", "clusters", permission=FLEET,
        body=ClusterAdd, body_description="The cluster to add (at most 1 MiB).",
        answers=(answer(201, "The new cluster.", ClusterView),),
        errors=(InvalidArgument, AlreadyExists, TooLarge),
    ),
    # Before `/api/v2/clusters/{name}`, whose pattern also matches `NAME:move`.
    _route(
        "POST /api/v2/clusters/{name}:move", moves.move_fleet_account_handler,
        "moveAccountToCluster", "Move an account of any organization to this cluster",
        "clusters", permission=FLEET, params=(p.CLUSTER_NAME,), body=FleetMove,
        body_description="The account to move, by its id: in the cluster's region, not on it.",
        answers=(ACCEPTED,), errors=(*MUTATION_ERRORS, TooLarge),
    ),
    _route(
        "GET /api/v2/clusters/{name}", clusters.get_cluster_handler, "getCluster",
        "Read a tenant cluster", "clusters", permission=FLEET, params=(p.CLUSTER_NAME,),
        answers=(answer(200, "The cluster.", ClusterView),), errors=(InvalidArgument, NotFound),
    ),
    _route(
        "PATCH /api/v2/clusters/{name}", clusters.change_cluster_handler, "changeCluster",
        "Change a tenant cluster", "clusters", permission=FLEET, params=(p.CLUSTER_NAME,),
        body=ClusterPatch, body_description="The fields to change.",
        answers=(answer(200, "The changed cluster.", ClusterView),),
        errors=(InvalidArgument, NotFound, TooLarge),
    ),
    _route(
        "DELETE /api/v2/clusters/{name}", clusters.remove_cluster_handler, "removeCluster",
        "Remove a tenant cluster", "clusters", permission=FLEET, params=(p.CLUSTER_NAME,),
        answers=(answer(200, "The removed cluster.", RemovedClusterView),),
        errors=(InvalidArgument, NotFound, Conflict),
    ),
    _route(
        "GET /api/v2/clusters/{name}/accounts", clusters.cluster_accounts_handler,
        "listClusterAccounts", "List the accounts a tenant cluster holds", "clusters",
        permission=FLEET, params=(p.CLUSTER_NAME, p.CLUSTER_ACCOUNTS_LIMIT, p.CURSOR),
        answers=(answer(200, "Its accounts, of every organization.", list[ClusterAccountView],
                        headers=(p.LINK,)),),
        errors=(InvalidArgument, NotFound),
    ),
    *CONSOLE_ROUTES,
)  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_routes([web.route(r.method, r.path, r.handler) for r in ROUTES])


def openapi_document() -> dict[str, Any]:
    """The document describing ROUTES (a fresh copy: callers may change it)."""
    return build_document(ROUTES)


@functools.cache
def openapi_bytes() -> bytes:
    """The document as compact JSON, built once per process."""
    return orjson.dumps(openapi_document())
