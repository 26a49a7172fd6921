"""The OpenAPI document describes exactly the routes the app serves, and is a valid document."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from cryptography.fernet import Fernet

from service.settings import Settings
from service.web.app import create_app
from service.web.openapi import load_spec

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
    return load_spec()


def test_every_route_is_described(spec: dict[str, Any]) -> None:
    undescribed = routed_operations() - described_operations(spec)
    assert not undescribed, (
        f"routes missing from service/openapi/openapi.json: {sorted(undescribed)}"
    )


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
