"""Fuzzing against Snowflake's own OpenAPI files: existing clients' view of our wire API.

Schemathesis generates valid and invalid requests for every operation in the specs and checks
each answer: never a 5xx, and status code, content type and body as the spec says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from tests.conftest import make_tenant

SPECS = Path(__file__).parent / "specs" / "snowflake"
ACCOUNTS = schemathesis.openapi.from_path(SPECS / "account.yaml")
RESULTS = schemathesis.openapi.from_path(SPECS / "result.yaml")
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
EXAMPLES = 40


@pytest.fixture(scope="module")
def auth(engine: Engine) -> dict[str, str]:
    return make_tenant(engine).headers()


def answers_as_specified(spec: schemathesis.BaseSchema) -> Any:
    """A test of every operation `spec` describes, against the live API."""

    @spec.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: schemathesis.Case[Any], live_api: str, auth: dict[str, str]) -> None:
        case.call_and_validate(base_url=live_api, headers=auth, checks=CHECKS)

    return test


test_accounts_answer_as_snowflakes_spec_says = answers_as_specified(ACCOUNTS)
test_results_answer_as_snowflakes_spec_says = answers_as_specified(RESULTS)
