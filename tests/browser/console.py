"""What the browser tests and the screenshot command do on the console and the API."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests
from playwright.sync_api import Page, expect

from tests.bodies import snowflake_create_body

TIMEOUT_SECONDS = 20.0


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8].upper()}"


def sign_in(page: Page, base_url: str, token: str) -> None:
    page.goto(f"{base_url}/console")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who-text")).to_be_visible()


def create_account(base_url: str, token: str, name: str, **fields: Any) -> str:
    """POST the create; the result's location."""
    response = requests.post(
        f"{base_url}/api/v2/accounts",
        json=snowflake_create_body(name, **fields),
        headers=bearer(token),
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return str(response.headers["Location"])


def wait_done(base_url: str, token: str, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        response = requests.get(
            f"{base_url}{location}", params={"wait": 5}, headers=bearer(token), timeout=10
        )
        if response.status_code != 202:
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body
    raise AssertionError(f"{location} did not finish in {TIMEOUT_SECONDS} s")


def drop_account(base_url: str, token: str, name: str, days: int) -> str:
    """DELETE the account; the result's location."""
    response = requests.delete(
        f"{base_url}/api/v2/accounts/{name}",
        params={"gracePeriodInDays": days},
        headers=bearer(token),
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return str(response.headers["Location"])


def read_account(base_url: str, token: str, name: str) -> dict[str, Any]:
    response = requests.get(f"{base_url}/api/v2/accounts/{name}", headers=bearer(token), timeout=10)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
