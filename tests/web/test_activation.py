"""§1 and §2 in a real browser: demo.um creates an account, its owner activates it with the e-mailed code,
chooses a username and a password (strength shown while typing), and the first login enrols TOTP by QR code.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PORTAL_BIN, REPO_ROOT, portal_test_server
from tests.web.conftest import log_in

NEW_EMAIL = "lotte.nieuw@voorbeeld.example"
NEW_USERNAME = "lotte.nieuw"
NEW_PASSWORD = "Tulpen-Fiets-Regen-42"  # noqa: S105 - a test password


def _load_mailbox():
    # The portal's helper that reads its outbox with `portal outbox`, as the README shows.
    spec = importlib.util.spec_from_file_location("portal_test_mailbox", REPO_ROOT / "portal" / "tests" / "mailbox.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


mailbox = _load_mailbox()


@pytest.fixture(scope="module")
def activation_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A portal of this module's own, with an empty outbox."""
    with portal_test_server.running_portal(tmp_path_factory.mktemp("activation-portal"), bin_dir=PORTAL_BIN) as running:
        yield running


def test_a_new_user_is_created_activates_with_the_mailed_code_enrols_totp_and_logs_in(browser: Browser, activation_portal: object) -> None:
    portal = activation_portal
    violations: list[str] = []

    # demo.um: home → "Create portal account" → the form.
    admin = browser.new_context(locale="nl-NL")
    page = admin.new_page()
    log_in(page, portal, "demo.um")
    page.click('[data-tile="accounts"] a')
    page.wait_for_url("**/accounts/new")
    page.fill("#full_name", "Lotte Nieuw")
    page.fill("#email", NEW_EMAIL)
    page.check("#role-hr")
    page.check("#role-finance")
    page.click("#new-account-submit")
    page.wait_for_url("**/accounts/new?created=1")
    expect(page.locator("#account-created")).to_be_visible()
    expect(page.locator(f'tr[data-email="{NEW_EMAIL}"]')).to_contain_text("Wacht op activering")
    admin.close()
    invitation = mailbox.last_mail(portal, NEW_EMAIL, PORTAL_BIN)
    assert mailbox.subject_of(invitation) == "Activeer uw account voor het werkgeversportaal"

    # The new user, in a browser of their own: "First visit? Activate your account".
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    # Our pages' own scripts and their calls (the strength meter) must pass the CSP; the chat widget's web font
    # on the home page is blocked by design and is not this test's business.
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text and ("script-src" in msg.text or "connect-src" in msg.text) else None)
    page.goto(f"{portal.url}/login")
    page.click("#activate-link")
    page.wait_for_url("**/activate")
    page.fill("#email", NEW_EMAIL)
    page.click("#email-submit")
    page.wait_for_url("**/activate/code")
    expect(page.locator("#code-sent")).to_contain_text("15 minuten")
    page.fill("#code", mailbox.code_in(mailbox.last_mail(portal, NEW_EMAIL, PORTAL_BIN)))
    page.click("#verification-submit")
    page.wait_for_url("**/activate/account")
    expect(page.locator("#activation-greeting")).to_contain_text("Lotte Nieuw")

    # The strength is shown while typing; a weak password is refused, with the reason.
    page.fill("#username", NEW_USERNAME)
    page.fill("#password", "welkom123")
    expect(page.locator("#password-strength")).to_have_text("Wachtwoord zwak")
    expect(page.locator("#password-reasons")).to_contain_text("Gebruik minstens 10 tekens.")
    page.fill("#password_repeat", "welkom123")
    page.click("#account-submit")
    expect(page.locator("#errors")).to_contain_text("Dit wachtwoord is te makkelijk te raden.")
    page.fill("#password", NEW_PASSWORD)
    expect(page.locator("#password-strength")).to_have_text("Wachtwoord sterk")
    page.fill("#password_repeat", NEW_PASSWORD)
    page.click("#account-submit")
    page.wait_for_url("**/login?m=activated")
    expect(page.locator(".notice")).to_contain_text("Uw account is geactiveerd.")
    confirmation = mailbox.last_mail(portal, NEW_EMAIL, PORTAL_BIN)
    assert f"Uw gebruikersnaam is: {NEW_USERNAME}" in confirmation

    # The first login: password, then the QR code of the new account; an authenticator's code logs in.
    page.fill("#username", NEW_USERNAME)
    page.fill("#password", NEW_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/login/code")
    expect(page.locator("#totp-qr svg")).to_be_visible()
    secret = page.inner_text("#totp-secret").replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("#code-submit")
    page.wait_for_url(f"{portal.url}/")
    expect(page.locator("h1")).to_contain_text("Welkom, Lotte Nieuw")
    tiles = {tile.get_attribute("data-tile") for tile in page.locator("[data-tile]").all()}
    assert {"participants", "financial-documents"} <= tiles and "accounts" not in tiles
    context.close()
    assert violations == []
