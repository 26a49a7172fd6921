"""The operators' console in a real Chromium, against a live API and a real worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from service.domain.roles import Role
from service.settings import Settings
from service.web.console.memory import HEARTBEAT_EXPIRES_SECONDS
from tests.browser.console import (
    bearer,
    create_account,
    drop_account,
    read_account,
    sign_in,
    unique,
    wait_done,
)
from tests.conftest import Tenant, service_env
from tests.faults.stack import free_port
from tests.processes import start_service

SECONDS = 1000  # Playwright's timeouts are in milliseconds
# A push every 2 s and the overview's 2 s cache: what the page may lag behind the truth.
PUSH_LAG_SECONDS = 5


def test_an_invalid_token_is_refused_with_a_clear_message(page: Page, live_api: str) -> None:
    page.goto(f"{live_api}/console")
    page.get_by_label("API token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This token was refused: it is unknown, revoked or expired."
    )
    expect(page.get_by_role("navigation", name="Console pages")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert "not-a-token" not in page.url


def test_an_account_created_through_the_api_appears_and_turns_active_without_a_reload(
    page: Page, live_api: str, tenant: Tenant
) -> None:
    sign_in(page, live_api, tenant.tokens[Role.OPERATOR])
    page.get_by_role("link", name="Accounts").click()
    expect(page.locator("#accounts tbody")).to_contain_text("No accounts match.")
    page.evaluate("window.stillTheSamePage = true")
    name = unique("CONSOLE_NEW")
    create_account(live_api, tenant.tokens[Role.ADMIN], name)
    row = page.locator(f'#accounts tr[data-account="{name}"]')
    expect(row).to_be_visible(timeout=10 * SECONDS)
    expect(row.locator(".badge")).to_have_text("ACTIVE", timeout=20 * SECONDS)
    assert page.evaluate("window.stillTheSamePage") is True


def test_an_operator_drops_an_account_from_its_page_and_sees_the_grace_period(
    page: Page, live_api: str, tenant: Tenant
) -> None:
    admin = tenant.tokens[Role.ADMIN]
    name = unique("CONSOLE_DROP")
    comment = '<img src=x onerror="window.injected=1"><script>window.injected=2</script>'
    wait_done(live_api, admin, create_account(live_api, admin, name, comment=comment))
    sign_in(page, live_api, tenant.tokens[Role.OPERATOR])
    page.goto(f"{live_api}/console#/accounts/{name}")
    fields = page.locator("#account-fields")
    expect(fields).to_contain_text(comment)  # shown as text, never run
    page.get_by_role("button", name="Drop…").click()
    page.get_by_label("Grace period").fill("5")
    page.get_by_role("button", name="Drop", exact=True).click()
    expect(page.locator("#account-progress")).to_contain_text("Drop", timeout=5 * SECONDS)
    expect(fields.locator(".badge")).to_have_text("DROPPED", timeout=20 * SECONDS)
    expect(fields).to_contain_text("Grace period5 days")
    account = read_account(live_api, admin, name)
    dropped = datetime.fromisoformat(account["dropped_on"])
    scheduled = datetime.fromisoformat(account["scheduled_deletion_time"])
    assert scheduled - dropped == timedelta(days=5)
    shown = fields.locator(f'time[datetime="{account["scheduled_deletion_time"]}"]')
    expect(shown).to_have_attribute("title", f"UTC: {scheduled.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}")
    expect(shown).to_contain_text(_paris_clock(scheduled))
    expect(page.get_by_role("button", name="Undrop")).to_be_visible()
    assert page.evaluate("window.injected") is None


def _paris_clock(moment: datetime) -> str:
    """The time of day as an en-US browser set to Paris shows it (the page's context is)."""
    local = moment.astimezone(ZoneInfo("Europe/Paris"))
    return f"{local.hour % 12 or 12}:{local:%M:%S}"


def test_a_stopped_worker_turns_red_within_its_heartbeat_expiry(
    page: Page,
    live_api: str,
    tenant: Tenant,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    dedicated = start_service(
        "worker", service_env(settings), tmp_path_factory.mktemp("console-worker"), " ready."
    )
    try:
        sign_in(page, live_api, tenant.tokens[Role.OPERATOR])
        row = page.locator(f'#workers tr[data-worker-id$=":{dedicated.process.pid}"]')
        expect(row).to_have_attribute("data-status", "live", timeout=15 * SECONDS)
        expect(page.locator("#live-state")).to_have_text("live")
    finally:
        dedicated.stop()
    stopped = time.monotonic()
    expect(row).to_have_attribute(
        "data-status", "silent", timeout=(HEARTBEAT_EXPIRES_SECONDS + PUSH_LAG_SECONDS) * SECONDS
    )
    assert time.monotonic() - stopped <= HEARTBEAT_EXPIRES_SECONDS + PUSH_LAG_SECONDS
    expect(row.locator(".badge")).to_have_text("silent")
    color = row.locator(".badge").evaluate("node => getComputedStyle(node).backgroundColor")
    assert color == "rgb(180, 35, 24)"  # the console's red


def test_a_viewer_sees_no_mutating_buttons(page: Page, live_api: str, tenant: Tenant) -> None:
    admin = tenant.tokens[Role.ADMIN]
    name = unique("CONSOLE_VIEW")
    wait_done(live_api, admin, create_account(live_api, admin, name))
    sign_in(page, live_api, tenant.tokens[Role.VIEWER])
    expect(page.locator("#overview-refused")).to_contain_text("may not watch the queues")
    page.goto(f"{live_api}/console#/accounts/{name}")
    expect(page.locator("#account-fields .badge")).to_have_text("ACTIVE")
    expect(page.locator("#account-actions")).to_have_text("Your role (viewer) may only read.")
    expect(page.locator("#account-actions button")).to_have_count(0)
    page.locator("#account-history a").first.click()
    expect(page.locator("#operation-fields")).to_contain_text("succeeded")
    expect(page.locator("main button:visible")).to_have_count(0)


def test_an_operator_undrops_disables_enables_and_rotates_from_the_account_page(
    page: Page, live_api: str, tenant: Tenant
) -> None:
    admin = tenant.tokens[Role.ADMIN]
    name = unique("CONSOLE_ACT")
    wait_done(live_api, admin, create_account(live_api, admin, name))
    wait_done(live_api, admin, drop_account(live_api, admin, name, 3))
    sign_in(page, live_api, tenant.tokens[Role.OPERATOR])
    page.goto(f"{live_api}/console#/accounts/{name}")
    fields = page.locator("#account-fields")
    expect(fields.locator(".badge")).to_have_text("DROPPED")
    page.get_by_role("button", name="Undrop").click()
    expect(fields.locator(".badge")).to_have_text("ACTIVE", timeout=10 * SECONDS)
    page.get_by_role("button", name="Disable").click()
    expect(fields).to_contain_text("no (logins suspended)", timeout=10 * SECONDS)
    assert read_account(live_api, admin, name)["enabled"] is False
    page.get_by_role("button", name="Enable").click()
    expect(fields).to_contain_text("Enabledyes", timeout=10 * SECONDS)
    page.get_by_role("button", name="Rotate credentials").click()
    expect(page.locator("#account-progress")).to_contain_text(
        "succeeded. The new password is handed out once", timeout=10 * SECONDS
    )
    expect(page.locator("#account-history tbody tr")).to_have_count(6)  # create to rotate


def test_the_console_works_by_keyboard_at_phone_width(
    phone: Page, live_api: str, tenant: Tenant
) -> None:
    phone.goto(f"{live_api}/console")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to content")).to_be_focused()
    phone.keyboard.press("Tab")
    expect(phone.get_by_label("API token")).to_be_focused()
    phone.keyboard.type(tenant.tokens[Role.OPERATOR])
    phone.keyboard.press("Enter")
    expect(phone.locator("#live-state")).to_have_text("live")
    phone.get_by_role("link", name="Accounts").focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Accounts")).to_be_visible()
    expect(phone.get_by_role("link", name="Accounts")).to_have_attribute("aria-current", "page")
    phone.get_by_label("Name like").focus()
    phone.keyboard.type("NOTHING_LIKE_THIS%")
    phone.keyboard.press("Enter")
    expect(phone.locator("#accounts tbody")).to_have_text("No accounts match.")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_operator_cancels_a_queued_operation_from_its_page(
    page: Page,
    tenant: Tenant,
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # An API publishing to a queue no worker reads: its operations stay queued until canceled.
    port = free_port()
    unheard = settings.model_copy(update={"queue_name": unique("unheard").lower()})
    env = {**service_env(unheard), "API_PORT": str(port)}
    api = start_service("serve", env, tmp_path_factory.mktemp("console-unheard"), "Running on")
    try:
        base = f"http://127.0.0.1:{port}"
        admin = tenant.tokens[Role.ADMIN]
        name = unique("CONSOLE_CANCEL")
        location = create_account(base, admin, name)
        handle = location.rsplit("/", 1)[-1]
        sign_in(page, base, tenant.tokens[Role.OPERATOR])
        page.goto(f"{base}/console#/operations/{handle}")
        fields = page.locator("#operation-fields")
        expect(fields).to_contain_text("queued")
        page.get_by_role("button", name="Cancel operation").click()
        expect(fields).to_contain_text("canceled", timeout=10 * SECONDS)
        expect(page.get_by_role("button", name="Cancel operation")).to_have_count(0)
        operation = requests.get(
            f"{base}/api/v2/operations/{handle}", headers=bearer(admin), timeout=10
        )
        assert operation.json()["state"] == "canceled"
    finally:
        api.stop()
