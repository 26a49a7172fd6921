"""A real Chromium driven by Playwright against a live `provisioner serve` and a real worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, ensure_chromium
from tests.conformance.conftest import live_api

__all__ = ["live_api"]  # the same live API process the conformance suites use

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    missing = ensure_chromium()
    if missing is not None:
        pytest.skip(f"no browser for the console tests: {missing}")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Europe/Paris")
    page = context.new_page()
    yield page
    context.close()
