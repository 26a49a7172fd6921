"""Fuzzing against our own OpenAPI document, the one `GET /api/v2/openapi.json` serves (generated
from the route table and the models, service/web/openapi/).

Schemathesis generates valid and invalid requests for every operation in it and checks every
answer of a live `provisioner serve`: never a 5xx; status code, content type, headers and body as
the document says; invalid input always a 4xx in the error shape. Generation is deterministic (the
same requests every run, so the suite does not flake); `FUZZ_RANDOM=1` explores new ones and
`FUZZ_EXAMPLES=N` raises the bound, e.g. `FUZZ_RANDOM=1 FUZZ_EXAMPLES=300` before a release.

Random requests rarely name objects that exist, so walks through real accounts' lives (create,
read, list, update, rotate, drop, undrop, fail), with every answer validated against the
document, cover the bodies of real accounts, results, operations and tokens. Inputs that broke
the service are kept as regression tests.
"""

from __future__ import annotations

import base64
import os
import uuid
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from service.domain.roles import Role
from service.web.routes import openapi_document
from tests.conftest import Tenant, make_tenant

SPEC = schemathesis.openapi.from_dict(openapi_document())
# The token is ours to send on every request, not a parameter to fuzz.
SPEC.config.generation.update(with_security_parameters=False)
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
ANSWER_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CHECKS = [*ANSWER_CHECKS, negative_data_rejection]
# A failed operation's final answer is a documented 500.
RESULT_CHECKS = [check for check in ANSWER_CHECKS if check is not not_a_server_error]
WAIT_SECONDS = 30
ACCOUNT = {
    "name": "OAS_INVALID",
    "admin_name": "a",
    "email": "a@example.com",
    "edition": "STANDARD",
}


@pytest.fixture(scope="module")
def org(engine: Engine) -> Tenant:
    return make_tenant(engine)


@pytest.fixture(scope="module")
def auth(org: Tenant) -> dict[str, str]:
    return org.headers()


def test_the_served_document_is_the_generated_one(live_api: str) -> None:
    response = requests.get(f"{live_api}/api/v2/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == openapi_document()


@SPEC.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_our_spec_says(
    case: schemathesis.Case[Any], live_api: str, auth: dict[str, str]
) -> None:
    case.call_and_validate(base_url=live_api, headers=auth, checks=CHECKS)


class Client:
    """Requests built from the document's operations; every answer validated against it."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.base_url = base_url
        self.headers = headers

    def ask(
        self, method: str, path: str, status: int | None, **parts: Any
    ) -> schemathesis.Response:
        headers = {**self.headers, **parts.pop("headers", {})}
        checks = parts.pop("checks", ANSWER_CHECKS)
        if "body" in parts:
            parts.setdefault("media_type", "application/json")
        case = SPEC[path][method].Case(**parts)
        response = case.call(base_url=self.base_url, headers=headers)
        case.validate_response(response, checks=checks, headers=headers)
        assert status is None or response.status_code == status, response.text
        return response

    def finish(self, accepted: schemathesis.Response) -> schemathesis.Response:
        """The final answer of the operation a 202 accepted."""
        handle = accepted.json()["resultHandler"]
        assert header(accepted, "Location") == f"/api/v2/results/{handle}"
        for _ in range(5):
            response = self.ask(
                "GET",
                "/api/v2/results/{handle}",
                None,
                path_parameters={"handle": handle},
                query={"wait": WAIT_SECONDS},
                checks=RESULT_CHECKS,
            )
            if response.status_code != 202:
                return response
        raise AssertionError(f"operation {handle} did not finish")

    def create(self, name: str, **fields: Any) -> schemathesis.Response:
        """Create an account and wait for it; the final answer of the create."""
        body = {
            "name": name,
            "admin_name": "admin",
            "email": "admin@example.com",
            "edition": "STANDARD",
            "must_change_password": False,
            "polaris": False,
            # Clients send these read-only keys as null; the document says they may.
            "dropped_on": None,
            "scheduled_deletion_time": None,
            **fields,
        }
        return self.finish(self.ask("POST", "/api/v2/accounts", 202, body=body))

    def account(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.ask(
            "GET", "/api/v2/accounts/{name}", 200, path_parameters={"name": name}
        ).json()
        return found


def header(response: schemathesis.Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture(scope="module")
def client(live_api: str, auth: dict[str, str]) -> Client:
    return Client(live_api, auth)


@pytest.fixture(scope="module")
def active_account(client: Client) -> str:
    name = unique("OAS_ACTIVE")
    assert client.create(name).status_code == 200
    return name


def test_a_created_account_reads_and_lists_as_documented(client: Client) -> None:
    name, external_id = unique("OAS_NEW"), unique("ext")
    result = client.create(name, comment="conformance", external_id=external_id)
    assert result.status_code == 200
    assert result.json()["credentials"]["password"]
    account = client.account(name.lower())
    assert (account["state"], account["external_id"]) == ("ACTIVE", external_id)
    listed = client.ask(
        "GET", "/api/v2/accounts", 200, query={"externalId": external_id, "history": "true"}
    ).json()
    assert [row["name"] for row in listed] == [name]
    client.ask("GET", "/api/v2/accounts", 200, query={"orderBy": "-created_on", "showLimit": 5})
    client.ask("GET", "/api/v2/accounts", 200, query={"like": "oas\\_%", "fromName": "OAS"})


def test_updates_and_deletion_protection_answer_as_documented(client: Client) -> None:
    name = unique("OAS_UPD")
    client.create(name, deletion_protection=True)
    drop = {"path_parameters": {"name": name}, "query": {"gracePeriodInDays": 3}}
    client.ask("DELETE", "/api/v2/accounts/{name}", 409, **drop)
    renamed = unique("OAS_RENAMED")
    patch = {
        "name": renamed,
        "edition": "ENTERPRISE",
        "comment": None,
        "deletion_protection": False,
    }
    updated = client.ask(
        "PATCH", "/api/v2/accounts/{name}", 202, path_parameters={"name": name}, body=patch
    )
    assert client.finish(updated).status_code == 200
    account = client.account(renamed)
    assert (account["edition"], account["deletion_protection"]) == ("ENTERPRISE", False)
    client.ask("PATCH", "/api/v2/accounts/{name}", 400, path_parameters={"name": renamed}, body={})
    client.ask("GET", "/api/v2/accounts/{name}", 404, path_parameters={"name": name})


def test_rotation_drop_and_undrop_answer_as_documented(client: Client) -> None:
    name = unique("OAS_LIFE")
    client.create(name)
    at = {"path_parameters": {"name": name}}
    rotated = client.finish(
        client.ask("POST", "/api/v2/accounts/{name}:rotateCredentials", 202, **at)
    )
    assert rotated.json()["credentials"]["password"]
    key = {"Idempotency-Key": unique("drop")}
    drop = {**at, "query": {"gracePeriodInDays": 3}, "headers": key}
    accepted = client.ask("DELETE", "/api/v2/accounts/{name}", 202, **drop)
    assert client.ask("DELETE", "/api/v2/accounts/{name}", 202, **drop).json() == accepted.json()
    assert client.finish(accepted).status_code == 200
    assert client.account(name)["dropped_on"] is not None
    again = {**at, "query": {"gracePeriodInDays": 3, "ifExists": "true"}}
    client.ask("DELETE", "/api/v2/accounts/{name}", 200, **again)
    client.ask("POST", "/api/v2/accounts/{name}:rotateCredentials", 409, **at)
    undropped = client.finish(client.ask("POST", "/api/v2/accounts/{name}:undrop", 202, **at))
    assert undropped.status_code == 200
    assert client.account(name)["dropped_on"] is None


def test_operations_and_failed_results_answer_as_documented(
    client: Client, active_account: str
) -> None:
    failed = client.create(unique("FAIL_OAS"))
    assert (failed.status_code, failed.json()["code"]) == (500, "internal")
    newest = client.ask("GET", "/api/v2/operations", 200, query={"limit": 1})
    assert header(newest, "Link")
    assert [(row["state"], row["error"]["code"]) for row in newest.json()] == [
        ("failed", "internal")
    ]
    mine = client.ask("GET", "/api/v2/operations", 200, query={"account": active_account}).json()
    handle = {"path_parameters": {"handle": mine[0]["id"]}}
    operation = client.ask("GET", "/api/v2/operations/{handle}", 200, **handle).json()
    assert operation["result"]["credentials"]["password"] is None
    client.ask("POST", "/api/v2/operations/{handle}:cancel", 409, **handle)
    client.ask("GET", "/api/v2/operations", 200, query={"state": "succeeded", "kind": "create"})


def test_tokens_queues_and_editions_answer_as_documented(client: Client) -> None:
    body = {"role": "viewer", "description": "conformance", "expires_at": "2100-01-01T00:00:00Z"}
    token = client.ask("POST", "/api/v2/tokens", 201, body=body).json()
    client.ask("GET", "/api/v2/tokens", 200, query={"includeRevoked": "true"})
    client.ask(
        "DELETE", "/api/v2/tokens/{token_id}", 200, path_parameters={"token_id": token["id"]}
    )
    client.ask("GET", "/api/v2/queues", 200)
    client.ask("GET", "/api/v2/editions", 200)
    client.ask("GET", "/docs", 200)
    client.ask(
        "GET", "/docs/static/{filename}", 200, path_parameters={"filename": "swagger-ui.css"}
    )


def test_refusals_answer_as_documented(live_api: str, org: Tenant) -> None:
    anonymous = Client(live_api, {})
    assert header(anonymous.ask("GET", "/api/v2/accounts", 401), "WWW-Authenticate")
    viewer = Client(live_api, org.headers(Role.VIEWER))
    viewer.ask("GET", "/api/v2/queues", 403)
    viewer.ask("POST", "/api/v2/accounts/{name}:undrop", 403, path_parameters={"name": "X"})
    viewer.ask("GET", "/api/v2/accounts/{name}", 404, path_parameters={"name": "NOBODY"})
    viewer.ask("GET", "/api/v2/accounts/{name}", 400, path_parameters={"name": "no-dash"})


NUL = "a\x00b"  # PostgreSQL text and jsonb cannot hold it: it must be refused before them


# Inputs the fuzzer once answered with a 500 (or accepted): each is a regression test now.
def _cursor_for(moment: str) -> str:
    raw = f"{moment}|{uuid.UUID(int=0)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FAR_PAST = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC: asyncpg cannot encode it
FAR_FUTURE = "9999-12-31T23:59:59-14:00"  # after year 9999 in UTC
FOUND_BY_FUZZING = [
    ("GET", "/api/v2/operations", {"query": {"since": FAR_PAST}}),
    ("GET", "/api/v2/operations", {"query": {"cursor": _cursor_for(FAR_PAST)}}),
    ("POST", "/api/v2/tokens", {"body": {"role": "viewer", "description": NUL}}),
    ("POST", "/api/v2/tokens", {"body": {"role": "viewer", "expires_at": FAR_FUTURE}}),
    # pydantic's lax mode reads a number, or a string of digits, as a Unix time: a 201.
    ("POST", "/api/v2/tokens", {"body": {"role": "viewer", "expires_at": 4102444800}}),
    ("POST", "/api/v2/tokens", {"body": {"role": "viewer", "expires_at": "4102444800"}}),
]


INVALID = [
    ("GET", "/api/v2/accounts", {"query": {"fromName": NUL}}),
    ("GET", "/api/v2/accounts", {"query": {"like": NUL}}),
    ("GET", "/api/v2/accounts", {"query": {"externalId": NUL}}),
    *[
        ("POST", "/api/v2/accounts", {"body": {**ACCOUNT, field: f"x@example.com{NUL}"}})
        for field in ("comment", "email", "first_name", "last_name", "admin_user_type")
    ],
    ("POST", "/api/v2/accounts", {"body": {**ACCOUNT, "external_id": NUL}}),
    *FOUND_BY_FUZZING,
]


@pytest.mark.parametrize(("method", "path", "parts"), INVALID)
def test_invalid_input_the_fuzzer_found_is_a_400(
    client: Client, method: str, path: str, parts: dict[str, Any]
) -> None:
    client.ask(method, path, 400, **parts)


@pytest.mark.parametrize("field", ["comment", "external_id"])
def test_a_nul_in_a_patch_is_a_400(client: Client, active_account: str, field: str) -> None:
    at = {"path_parameters": {"name": active_account}}
    client.ask("PATCH", "/api/v2/accounts/{name}", 400, body={field: NUL}, **at)


def test_a_deeply_nested_token_request_is_a_400(live_api: str, auth: dict[str, str]) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    response = requests.post(f"{live_api}/api/v2/tokens", data=nested, headers=auth, timeout=30)
    assert response.status_code == 400


def test_a_405_names_the_allowed_methods(live_api: str, auth: dict[str, str]) -> None:
    response = requests.put(f"{live_api}/api/v2/accounts", headers=auth, timeout=10)
    assert response.status_code == 405
    allowed = {method.strip() for method in response.headers.get("Allow", "").split(",")}
    assert allowed == {"GET", "HEAD", "POST"}
