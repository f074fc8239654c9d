"""The portal's pages in a real browser: TOTP enrolment with a QR code, the tiles, the globe, log out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PORTAL_BIN, portal_test_server
from tests.web.conftest import log_in

HR_TILES = {"participants", "arrange", "changes", "legal-documents", "scheme", "profile", "service"}


@pytest.fixture(scope="module")
def pages_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A portal of this module's own: the first login of demo.hr must really be the first (QR enrolment)."""
    with portal_test_server.running_portal(tmp_path_factory.mktemp("pages-portal"), bin_dir=PORTAL_BIN) as running:
        yield running


@dataclass
class FirstLogin:
    """What demo.hr saw at the first login on the pages."""

    qr_visible: bool
    secret: str
    tiles: set[str]
    heading: str
    csp_script_violations: list[str]


@pytest.fixture(scope="module")
def first_login(browser: Browser, pages_portal: object) -> FirstLogin:
    """demo.hr's first login: scan the QR code (we read the secret off the page), confirm with a code."""
    pages_portal.login("demo.hr")  # the API needs no enrolment; it also pins which TOTP step is used
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text and "script-src" in msg.text else None)
    page.goto(f"{pages_portal.url}/login")
    page.fill("#username", "demo.hr")
    page.fill("#password", portal_test_server.DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/login/code")
    qr = page.locator("#totp-qr svg")
    qr_visible = qr.count() == 1 and qr.is_visible()
    secret = page.inner_text("#totp-secret").replace(" ", "")
    # As an authenticator app would: the code from the secret shown, for a step not used yet.
    step = pages_portal.used_steps["demo.hr"] + 1
    pages_portal.used_steps["demo.hr"] = step
    page.fill("#code", pyotp.TOTP(secret).at(step * 30))
    page.click("#code-submit")
    page.wait_for_url(f"{pages_portal.url}/")
    result = FirstLogin(
        qr_visible=qr_visible,
        secret=secret,
        tiles={tile.get_attribute("data-tile") for tile in page.locator("[data-tile]").all()},
        heading=page.inner_text("h1"),
        csp_script_violations=violations,
    )
    context.close()
    return result


def test_the_first_login_shows_a_qr_code_and_lands_on_the_home_page_with_the_hr_tiles(first_login: FirstLogin) -> None:
    assert first_login.qr_visible
    assert first_login.secret == portal_test_server.SECRETS["demo.hr"]
    assert first_login.heading.startswith("Welkom")
    assert first_login.tiles == HR_TILES  # no financial documents, no account creation for HR
    assert first_login.csp_script_violations == []


def test_a_later_login_asks_only_for_a_code(browser: Browser, pages_portal: object, first_login: FirstLogin) -> None:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    enrolment_shown = log_in(page, pages_portal, "demo.hr")
    expect(page.locator("#tiles")).to_be_visible()
    context.close()
    assert enrolment_shown is False


def test_the_globe_switches_between_dutch_and_english(browser: Browser, pages_portal: object, first_login: FirstLogin) -> None:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    log_in(page, pages_portal, "demo.um")  # another user than above: no wait for the next TOTP step
    expect(page.locator("h1")).to_contain_text("Welkom")
    expect(page.locator("[data-tile=changes]")).to_contain_text("Ingediende wijzigingen")
    page.click("#language-switch")
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator("[data-tile=changes]")).to_contain_text("Submitted changes")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{pages_portal.url}/")  # the choice is kept, not only shown once
    expect(page.locator("#logout")).to_contain_text(re.compile("log out", re.IGNORECASE))
    page.click("#language-switch")
    expect(page.locator("h1")).to_contain_text("Welkom")
    expect(page.locator("#logout")).to_contain_text(re.compile("log uit", re.IGNORECASE))
    context.close()


def test_log_out_returns_to_login_and_the_home_page_then_asks_to_log_in(
    browser: Browser, pages_portal: object, first_login: FirstLogin
) -> None:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    log_in(page, pages_portal, "demo.finance")
    page.click("#logout")
    page.wait_for_url("**/login?m=logged_out")
    expect(page.locator(".notice")).to_contain_text("U bent uitgelogd.")
    page.goto(f"{pages_portal.url}/")
    page.wait_for_url("**/login")
    expect(page.locator("#login-form")).to_be_visible()
    context.close()
