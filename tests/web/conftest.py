"""Browser fixtures: Debian's Chromium driven by Playwright (no downloaded browser), and logging in on the pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import portal_test_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session; each test opens its own contexts."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) in Dutch, as most of the portal's users have it."""
    ctx = browser.new_context(locale="nl-NL")
    yield ctx
    ctx.close()


def log_in(page: Page, portal: object, username: str) -> bool:
    """Logs in on the pages with password and a fresh TOTP code; True when the QR enrolment was shown.

    The API token is fetched first, so later API logins of this user never need a code used here.
    """
    portal.login(username)
    page.goto(f"{portal.url}/login")
    page.fill("#username", username)
    page.fill("#password", portal_test_server.DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/login/code")
    enrolment = page.locator("#totp-qr").count() > 0
    page.fill("#code", portal.totp_code(username))
    page.click("#code-submit")
    page.wait_for_url(f"{portal.url}/")
    return enrolment
