"""A real Chromium driven by Playwright against a live `provisioner serve` and a real worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, ensure_chromium
from tests.conformance.conftest import live_api

__all__ = ["live_api"]  # the same live API process the conformance suites use

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


# Module-scoped: while Playwright's sync API is open, its event loop counts as running in this
# thread, and the async tests of other modules could not start theirs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    missing = ensure_chromium()
    if missing is not None:
        pytest.skip(f"no browser for the console tests: {missing}")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    yield browser
    browser.close()


def open_page(browser: Browser, viewport: ViewportSize) -> Iterator[Page]:
    """A page in a fresh context; after the test, no script error and no policy violation."""
    context = browser.new_context(viewport=viewport, timezone_id="Europe/Paris")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from open_page(browser, VIEWPORT)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from open_page(browser, {"width": 390, "height": 844})
