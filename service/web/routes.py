"""The whole URL table."""

from __future__ import annotations

from aiohttp import web

from service.web import (
    accounts,
    docs,
    editions,
    health,
    metrics,
    operations,
    queues,
    results,
    tokens,
)


def add_routes(app: web.Application) -> None:
    app.router.add_routes(
        [
            web.get("/healthz", health.healthz),
            web.get("/readyz", health.readyz),
            web.get("/metrics", metrics.metrics_handler),
            web.get("/api/v2/openapi.json", docs.openapi_handler),
            web.get("/docs", docs.docs_handler),
            web.get("/docs/static/{filename}", docs.static_handler),
            # Actions first: the plain `{name}` route would also match `NAME:undrop`.
            web.post("/api/v2/accounts/{name}:undrop", accounts.undrop_account_handler),
            web.post(
                "/api/v2/accounts/{name}:rotateCredentials", accounts.rotate_credentials_handler
            ),
            web.get("/api/v2/accounts", accounts.list_accounts_handler),
            web.post("/api/v2/accounts", accounts.create_account_handler),
            web.get("/api/v2/accounts/{name}", accounts.get_account_handler),
            web.delete("/api/v2/accounts/{name}", accounts.drop_account_handler),
            web.patch("/api/v2/accounts/{name}", accounts.update_account_handler),
            web.get("/api/v2/results/{handle}", results.get_result_handler),
            web.post("/api/v2/operations/{handle}:cancel", operations.cancel_operation_handler),
            web.get("/api/v2/operations", operations.list_operations_handler),
            web.get("/api/v2/operations/{handle}", operations.get_operation_handler),
            web.get("/api/v2/queues", queues.get_queues_handler),
            web.get("/api/v2/editions", editions.list_editions_handler),
            web.post("/api/v2/tokens", tokens.create_token_handler),
            web.get("/api/v2/tokens", tokens.list_tokens_handler),
            web.delete("/api/v2/tokens/{token_id}", tokens.revoke_token_handler),
        ]
    )
