"""The generated OpenAPI document: exactly the routes the app serves, a valid document, and
the fields of the models as they are (change a model and the document changes)."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from typing import Any

import jsonschema_rs
import orjson
import pytest
import schemathesis
from cryptography.fernet import Fernet
from pydantic import BaseModel, Field, StrictStr

from service.domain.errors import error_body
from service.domain.lifecycle import OperationKind, OperationState
from service.domain.patches import AccountPatch
from service.domain.results import accepted, success_body
from service.domain.roles import Role
from service.domain.schemas import MAX_COMMENT, NULLABLE_FIELDS, AccountCreate
from service.domain.tokens import TokenRequest
from service.settings import Settings
from service.store import models
from service.store.operation_reads import OperationRow
from service.web.account_view import AccountView, render_account
from service.web.app import create_app
from service.web.openapi.document import build_document
from service.web.openapi.metadata import Answer, Route
from service.web.operation_view import render_operation
from service.web.routes import ROUTES, openapi_document
from service.web.token_view import render_token
from tests.unit.test_account_view import CREATED, active_account

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
REQUEST_ID_HEADER = "X-Snowflake-Request-ID"
ERROR_SCHEMA = "#/components/schemas/ErrorResponse"

Operation = tuple[str, str]  # (METHOD, path template)


def routed_operations() -> set[Operation]:
    """Every (method, canonical path) in the app's router; HEAD is implied by GET."""
    # Creating the app connects to nothing: the URLs are only read by its cleanup contexts.
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/nothing",
        redis_url="redis://127.0.0.1:1/0",
        secret_key=Fernet.generate_key().decode(),
    )
    app = create_app(settings)
    routed = {
        (route.method, route.resource.canonical) for route in app.router.routes() if route.resource
    }
    return {
        (method, path) for method, path in routed if method != "HEAD" or ("GET", path) not in routed
    }


def described_operations(spec: dict[str, Any]) -> set[Operation]:
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi_document()


def test_every_route_is_described(spec: dict[str, Any]) -> None:
    undescribed = routed_operations() - described_operations(spec)
    assert not undescribed, f"routes without a Doc in service/web/routes.py: {sorted(undescribed)}"


def test_every_described_operation_is_routed(spec: dict[str, Any]) -> None:
    unrouted = described_operations(spec) - routed_operations()
    assert not unrouted, f"operations in the spec that the app does not have: {sorted(unrouted)}"


def test_the_spec_is_a_valid_openapi_3_1_document(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    schemathesis.openapi.from_dict(spec).validate()  # the OpenAPI 3.1 meta-schema
    for name, schema in spec["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), f"schema {name} is not valid JSON Schema"


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = spec["components"][kind][name]
    return node


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_path_parameters_match_the_templates(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        declared = {
            parameter["name"]
            for parameter in map(lambda p: _resolve(spec, p), operation.get("parameters", []))
            if parameter["in"] == "path"
        }
        assert declared == set(re.findall(r"{(\w+)}", path)), f"{method} {path}"


def test_every_response_carries_the_request_id_and_errors_have_the_error_shape(
    spec: dict[str, Any],
) -> None:
    for method, path, operation in _operations(spec):
        for status, response in operation["responses"].items():
            resolved = _resolve(spec, response)
            where = f"{method} {path} {status}"
            assert REQUEST_ID_HEADER in resolved.get("headers", {}), where
            if int(status) >= 400:
                schema = resolved["content"]["application/json"]["schema"]
                assert {"$ref": ERROR_SCHEMA} in schema.get("allOf", []), where


def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(ids) == len(set(ids))


def _with_model(old: Any, new: Any) -> tuple[Route, ...]:
    """The route table with `new` wherever a route's body or answer is `old`."""

    def swap(answer: Answer) -> Answer:
        content = tuple((media, new if body is old else body) for media, body in answer.content)
        return dataclasses.replace(answer, content=content)

    return tuple(
        dataclasses.replace(
            route,
            doc=dataclasses.replace(
                route.doc,
                body=new if route.doc.body is old else route.doc.body,
                answers=tuple(swap(answer) for answer in route.doc.answers),
            ),
        )
        for route in ROUTES
    )


def _schema(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    return _resolve(spec, {"$ref": node["$ref"]}) if "$ref" in node else node


def _create_body(spec: dict[str, Any]) -> dict[str, Any]:
    content = spec["paths"]["/api/v2/accounts"]["post"]["requestBody"]["content"]
    return _schema(spec, content["application/json"]["schema"])


def _account(spec: dict[str, Any]) -> dict[str, Any]:
    answer = spec["paths"]["/api/v2/accounts/{name}"]["get"]["responses"]["200"]
    return _schema(spec, answer["content"]["application/json"]["schema"])


class CreateWithNickname(AccountCreate):
    """A create body with one more field and a tighter comment."""

    nickname: str = Field(max_length=7, description="What friends call it.")
    comment: StrictStr | None = Field(default=None, max_length=10)


class AccountWithColour(AccountView):
    colour: str = Field(description="The account's colour.")


def test_a_changed_request_model_changes_the_document(spec: dict[str, Any]) -> None:
    assert "nickname" not in _create_body(spec)["properties"]
    assert _create_body(spec)["properties"]["comment"]["anyOf"][0]["maxLength"] == MAX_COMMENT
    changed = build_document(_with_model(AccountCreate, CreateWithNickname))
    properties = _create_body(changed)["properties"]
    assert properties["nickname"] == {
        "type": "string",
        "maxLength": 7,
        "description": "What friends call it.",
    }
    assert "nickname" in _create_body(changed)["required"]
    assert properties["comment"]["anyOf"][0]["maxLength"] == 10


def test_a_changed_response_model_changes_the_document(spec: dict[str, Any]) -> None:
    assert "colour" not in _account(spec)["properties"]
    changed = _account(build_document(_with_model(AccountView, AccountWithColour)))
    assert changed["properties"]["colour"] == {
        "type": "string",
        "description": "The account's colour.",
    }
    assert "colour" in changed["required"]


@pytest.mark.parametrize("model", [AccountCreate, AccountPatch, TokenRequest])
def test_every_field_of_a_request_model_is_in_the_document_with_its_limits(
    spec: dict[str, Any], model: type[BaseModel]
) -> None:
    schemas = spec["components"]["schemas"]
    properties = schemas[model.__name__]["properties"]
    for name, field in model.model_fields.items():
        if name == "expiry":  # parsed from expires_at, not a key of the body
            assert name not in properties
            continue
        described = json.dumps(properties[name])
        for limit in field.metadata:
            for key, value in (("maxLength", "max_length"), ("minLength", "min_length")):
                if hasattr(limit, value):
                    assert f'"{key}": {getattr(limit, value)}' in described, (name, key)


def test_the_account_view_names_every_field_and_only_the_nullable_ones_may_be_null(
    spec: dict[str, Any],
) -> None:
    account = _account(spec)
    assert set(account["properties"]) == {
        field.alias or name for name, field in AccountView.model_fields.items()
    }
    for name, prop in account["properties"].items():
        nullable = "null" in json.dumps(prop)
        assert nullable == (name in NULLABLE_FIELDS), name
    assert set(NULLABLE_FIELDS) <= set(account["required"])
    assert "comment" not in account["required"]
    assert account["additionalProperties"] is False


def test_rendered_views_are_what_the_document_says(spec: dict[str, Any]) -> None:
    def check(schema_name: str, rendered: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
        jsonschema_rs.validate(schema, json.loads(orjson.dumps(rendered)))

    check("Account", render_account(active_account(comment="hi"), "ORG"))
    check("Account", render_account(active_account(dropped_on=CREATED, comment=None), "ORG"))
    operation = models.Operation(
        id=uuid.uuid4(),
        kind=OperationKind.CREATE,
        state=OperationState.SUCCEEDED,
        attempts=1,
        created_at=CREATED,
        started_at=CREATED,
        finished_at=CREATED,
        response_body=success_body(
            credentials={
                "url": "postgresql://a@h:5432/d",
                "host": "h",
                "port": 5432,
                "user": "a",
                "database": "d",
                "password": "secret",
            }
        ),
    )
    check("Operation", render_operation(OperationRow(operation, "MY_ACCT", None, uuid.uuid4())))
    token = models.ApiToken(
        id=uuid.uuid4(), role=Role.VIEWER, description="x", created_at=CREATED, revoked_at=None
    )
    check("Token", render_token(token))
    check("SuccessAcceptedResponse", accepted(uuid.uuid4()).body)
    check("ErrorResponse", error_body("not_found", "no such thing", "id"))
    with pytest.raises(ValueError, match="additional"):
        check("ErrorResponse", {**error_body("not_found", "x", "id"), "stack": "..."})
