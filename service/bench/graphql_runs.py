"""GraphQL's `accounts(first: 100)` against the REST list of 100, on the same connections."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from service.adapters.processes import Child
from service.bench.harness import Bench, measured_with_cpu

PAGE = 100
REST_PATH = f"/api/v2/accounts?showLimit={PAGE}"
GRAPHQL_PATH = "/api/v2/graphql"
# Each answer is 100 accounts: at 64 connections one or two requests of the first pair were
# answered 503 in two trial runs (which fails the run); 16 keep the API busy without that.
CONNECTIONS = 16
# The nested objects a REST account may carry, with the fields GraphQL names them by.
_NESTED = {
    "usage": "storageBytes connections measuredOn",
    "limits": "connections storageBytes",
    "over_limit": "reason since",
    "owner": "adminName email firstName lastName",
}


def measure_graphql(bench: Bench, api: Child) -> None:
    """Both lists over the seeded accounts, alternately; req/s, latency and the API's CPU per
    request of each, and GraphQL's rate divided by REST's."""
    bench.seed_listed()
    rest_account = _rest_page(bench)[0]
    query = accounts_query(rest_account)
    body = json.dumps({"query": query})
    _check_graphql(bench, body)
    rest_runs: list[dict[str, Any]] = []
    graphql_runs: list[dict[str, Any]] = []
    # REST then GraphQL, `ab_rounds` times: the ratio is the mean of the pairs'.
    for _ in range(bench.options.ab_rounds):
        bench.say(f"graphql: GET {REST_PATH}, then accounts(first: {PAGE})")
        rest_runs.append(
            measured_with_cpu(
                bench.load(paths=[REST_PATH], headers=bench.headers, connections=CONNECTIONS),
                api.pid,
            )
        )
        graphql_runs.append(
            measured_with_cpu(
                bench.load(
                    method="POST",
                    paths=[GRAPHQL_PATH],
                    body=body,
                    headers=bench.headers,
                    connections=CONNECTIONS,
                ),
                api.pid,
            )
        )
    ratios = [
        g["per_second"] / r["per_second"] for g, r in zip(graphql_runs, rest_runs, strict=True)
    ]
    bench.figures.service["rest_list_100"] = rest_runs[-1]
    bench.figures.service["graphql_accounts_100"] = {
        **graphql_runs[-1],
        "fields": len(rest_account),
        "ratio_runs": [round(ratio, 3) for ratio in ratios],
        "rest_runs_per_second": [run["per_second"] for run in rest_runs],
        "graphql_runs_per_second": [run["per_second"] for run in graphql_runs],
    }


def accounts_query(rest_account: dict[str, Any]) -> str:
    """`accounts(first: 100)` asking for every field the REST list returns of an account."""
    fields = []
    for name in rest_account:
        camel = _camel(name)
        nested = _NESTED.get(name)
        fields.append(f"{camel} {{ {nested} }}" if nested else camel)
    return f"{{ accounts(first: {PAGE}) {{ nodes {{ {' '.join(fields)} }} }} }}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _get(bench: Bench, path: str, body: str | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 - our own API on 127.0.0.1
        bench.base + path,
        data=None if body is None else body.encode(),
        headers=bench.json_headers,
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - as above
        return json.loads(answer.read())


def _rest_page(bench: Bench) -> list[dict[str, Any]]:
    page: list[dict[str, Any]] = _get(bench, REST_PATH)
    if len(page) != PAGE:
        raise RuntimeError(f"the REST list returned {len(page)} accounts, not {PAGE}")
    return page


def _check_graphql(bench: Bench, body: str) -> None:
    """GraphQL answers 200 with `errors` too: a query it refuses would measure nothing."""
    answer = _get(bench, GRAPHQL_PATH, body)
    nodes = (answer.get("data") or {}).get("accounts", {}).get("nodes", [])
    if answer.get("errors") or len(nodes) != PAGE:
        raise RuntimeError(f"the GraphQL query failed: {str(answer)[:2000]}")
