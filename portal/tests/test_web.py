"""The portal's pages over HTTP: login with TOTP, CSRF, tiles per role, the widget, the widget's chat token."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import jwt
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import portal as portal_package
from tests.server import DEMO_PASSWORD, SECRETS, Portal, running_portal

PACKAGE = Path(portal_package.__file__).parent
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
WIDGET = re.compile(r'<div id="chat-widget"[^>]*data-csrf="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token in a page's forms."""
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


@contextmanager
def browser(portal: Portal, language: str | None = None) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects, so each step can be checked."""
    headers = {"Accept-Language": language} if language else {}
    with httpx.Client(base_url=portal.url, headers=headers, timeout=30) as client:
        yield client


def log_in(client: httpx.Client, portal: Portal, username: str) -> httpx.Response:
    """Password, then a fresh TOTP code (enrolment or not: the form is the same); returns the home page."""
    portal.login(username)  # the API token first, so API tests later in the session never need a used code
    login_page = client.get("/login")
    password = client.post(
        "/login", data={"csrf": csrf_of(login_page), "username": username, "password": DEMO_PASSWORD}
    )
    assert password.status_code == 303 and password.headers["location"] == "/login/code", password.text
    code_page = client.get("/login/code")
    code = client.post("/login/code", data={"csrf": csrf_of(code_page), "code": portal.totp_code(username)})
    assert code.status_code == 303 and code.headers["location"] == "/", code.text
    home = client.get("/")
    assert home.status_code == 200, home.text
    return home


@pytest.fixture(scope="module")
def signed_in(portal: Portal) -> Iterator[Callable[[str], tuple[httpx.Client, httpx.Response]]]:
    """Logs each user in once per module (a new login may have to wait for the next TOTP step)."""
    sessions: dict[str, tuple[httpx.Client, httpx.Response]] = {}

    def session_of(username: str) -> tuple[httpx.Client, httpx.Response]:
        if username not in sessions:
            client = httpx.Client(base_url=portal.url, timeout=30)
            sessions[username] = (client, log_in(client, portal, username))
        return sessions[username]

    yield session_of
    for client, _ in sessions.values():
        client.close()


def same_session(portal: Portal, client: httpx.Client) -> httpx.Client:
    """A second browser window with only the session cookie of `client` (no language or theme cookie)."""
    window = httpx.Client(base_url=portal.url, timeout=30)
    for cookie in client.cookies.jar:
        if cookie.name == "portal_session":
            window.cookies.jar.set_cookie(cookie)
    return window


def tiles_of(home: httpx.Response) -> set[str]:
    """The keys of the tiles on the home page."""
    return set(re.findall(r'data-tile="([^"]+)"', home.text))


def test_every_text_of_the_pages_has_a_dutch_translation() -> None:
    found = extract_from_dir(
        str(PACKAGE / "web"),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"N_": None, "_": None},
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    in_pages = {message for _, _, message, _, _ in found if isinstance(message, str)}
    with (PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert "Log in to the employer portal" in in_pages
    assert in_pages - translated == set()


@pytest.mark.parametrize(
    "language,expected", [("nl", "De gebruikersnaam of het wachtwoord is onjuist."), ("en", "The username or password is incorrect.")]
)
def test_a_wrong_password_is_explained_in_the_browser_language(portal: Portal, language: str, expected: str) -> None:
    with browser(portal, language) as client:
        page = client.get("/login")
        # An unknown user gets the same answer; it keeps the demo accounts away from lockout.
        answer = client.post("/login", data={"csrf": csrf_of(page), "username": "nobody.web", "password": "wrong"})
    assert answer.status_code == 401
    assert expected in answer.text
    assert 'value="nobody.web"' in answer.text


def test_a_form_without_its_csrf_token_is_refused(portal: Portal) -> None:
    with browser(portal) as client:
        client.get("/login")
        missing = client.post("/login", data={"username": "demo.hr", "password": DEMO_PASSWORD})
        forged = client.post("/login", data={"csrf": "x" * 64, "username": "demo.hr", "password": DEMO_PASSWORD})
    assert missing.status_code == 403 and forged.status_code == 403
    assert "formulier is verlopen" in missing.text
    assert "portal_mfa" not in missing.headers.get("set-cookie", "")


def test_after_login_every_post_needs_the_session_csrf_token(portal: Portal, signed_in) -> None:
    user, home = signed_in("demo.um")
    with same_session(portal, user) as client:
        no_token = client.post("/logout")
        foreign = client.post("/language", data={"language": "en", "csrf": "0" * 64})
        chat_without = client.post("/chat/token")
        still_in = client.get("/")
        logged_out = client.post("/logout", data={"csrf": csrf_of(home)})
        after = client.get("/")
    assert (no_token.status_code, foreign.status_code, chat_without.status_code) == (403, 403, 403)
    assert chat_without.json()["errors"][0]["code"] == "csrf_failed"
    assert still_in.status_code == 200 and "Werkgeversportaal" in still_in.text
    assert logged_out.status_code == 303 and logged_out.headers["location"] == "/login?m=logged_out"
    assert after.status_code == 303 and after.headers["location"] == "/login"


def test_tiles_follow_the_roles(signed_in) -> None:
    finance = tiles_of(signed_in("demo.finance")[1])
    hrfin = tiles_of(signed_in("demo.hrfin")[1])
    hr_only = {"participants", "arrange", "changes"}
    assert finance & hr_only == set()
    assert {"financial-documents", "scheme", "legal-documents", "profile", "service"} <= finance
    assert hr_only | {"financial-documents"} <= hrfin
    assert "accounts" not in hrfin and "accounts" not in finance
    # §8: Service & contact opens in a new tab.
    service_link = re.search(r'data-tile="service">\s*<a ([^>]*)>', signed_in("demo.hr")[1].text)
    assert service_link and 'target="_blank"' in service_link.group(1)


def test_a_chapter_the_role_does_not_allow_is_refused(signed_in) -> None:
    client, _ = signed_in("demo.finance")
    participants = client.get("/participants")
    scheme = client.get("/scheme")
    assert participants.status_code == 403
    assert scheme.status_code == 200 and 'id="scheme-details"' in scheme.text


def test_the_widget_is_on_the_pages_of_employer_users_only(signed_in) -> None:
    finance_home = signed_in("demo.finance")[1]
    desk_home = signed_in("desk.agent")[1]
    assert WIDGET.search(finance_home.text)
    assert 'data-socket-url="http://127.0.0.1:5005"' in finance_home.text
    assert '<script src="/static/vendor/rasa-webchat.js"></script><script src="/static/chat.js"></script>' in finance_home.text
    assert "chat-widget" not in desk_home.text and "rasa-webchat" not in desk_home.text
    assert "Servicedesk" in desk_home.text and 'data-tile="desk"' in desk_home.text


def test_pages_carry_security_headers(portal: Portal) -> None:
    with browser(portal) as client:
        page = client.get("/login")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


def test_the_session_cookie_is_httponly_and_strict(portal: Portal) -> None:
    portal.login("demo.hr")
    with browser(portal) as client:
        client.get("/login")
        page = client.get("/login")
        client.post("/login", data={"csrf": csrf_of(page), "username": "demo.hr", "password": DEMO_PASSWORD})
        code_page = client.get("/login/code")
        done = client.post("/login/code", data={"csrf": csrf_of(code_page), "code": portal.totp_code("demo.hr")})
    session_cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("portal_session="))
    assert "httponly" in session_cookie.lower() and "samesite=strict" in session_cookie.lower()
    assert "path=/" in session_cookie.lower() and "max-age" not in session_cookie.lower()


def test_without_a_session_the_pages_send_to_login(portal: Portal) -> None:
    with browser(portal) as client:
        client.cookies.set("portal_session", "not-a-token")
        bad = client.get("/")
        client.cookies.clear()
        none = client.get("/participants")
        chat = client.post("/chat/token", headers={"X-CSRF-Token": "x"})
    assert bad.status_code == 303 and bad.headers["location"] == "/login?m=invalid"
    assert none.status_code == 303 and none.headers["location"] == "/login"
    assert chat.status_code == 403


def test_a_chat_token_does_not_open_the_pages(portal: Portal) -> None:
    with portal.client() as api:
        chat_token = api.post("/api/chat/token", headers=portal.headers("demo.hr")).json()["token"]
    with browser(portal) as client:
        client.cookies.set("portal_session", chat_token)
        answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?m=invalid"


def test_the_widget_gets_a_chat_token_for_a_conversation_of_its_own(portal: Portal, signed_in) -> None:
    client, home = signed_in("demo.hrfin")
    csrf = WIDGET.search(home.text).group(1)
    first = client.post("/chat/token", headers={"X-CSRF-Token": csrf})
    assert first.status_code == 200, first.text
    body = first.json()
    renewed = client.post("/chat/token", headers={"X-CSRF-Token": csrf}, json={"conversation_id": body["conversation_id"]})
    with portal.client() as api:
        someone_else = api.post("/api/chat/token", headers=portal.headers("demo.um")).json()["conversation_id"]
    foreign = client.post("/chat/token", headers={"X-CSRF-Token": csrf}, json={"conversation_id": someone_else})
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["sid"] == body["conversation_id"] and claims["aud"] == "chat" and claims["username"] == "demo.hrfin"
    assert claims["chn"] == "chat" and body["expires_in"] > 0
    assert renewed.status_code == 200 and renewed.json()["conversation_id"] == body["conversation_id"]
    renewed_claims = jwt.decode(renewed.json()["token"], options={"verify_signature": False})
    assert renewed_claims["sid"] == body["conversation_id"] and renewed_claims["jti"] != claims["jti"]
    assert foreign.status_code == 404
    # The chat token works as a bearer token for that user, as the contract says.
    with portal.client() as api:
        me = api.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "demo.hrfin"


def test_roles_without_chat_get_no_chat_token(signed_in) -> None:
    client, home = signed_in("desk.agent")
    answer = client.post("/chat/token", headers={"X-CSRF-Token": csrf_of(home)})
    assert answer.status_code == 403


def test_the_globe_switches_the_language_and_remembers_it(portal: Portal, signed_in) -> None:
    client, home = signed_in("demo.hrfin")
    with same_session(portal, client) as window:
        assert "Welkom" in window.get("/").text and '<html lang="nl"' in home.text
        switched = window.post("/language", data={"csrf": csrf_of(home), "language": "en", "next": "/scheme"})
        scheme = window.get(switched.headers["location"])
    assert switched.status_code == 303 and switched.headers["location"] == "/scheme"
    assert "Pension scheme" in scheme.text and '<html lang="en"' in scheme.text
    with portal.client() as api:
        assert api.get("/api/me", headers=portal.headers("demo.hrfin")).json()["language"] == "en"
    with same_session(portal, client) as window:  # another window, no language cookie: the account decides
        in_english = window.get("/")
        back = window.post("/language", data={"csrf": csrf_of(home), "language": "nl", "next": "https://evil.example/"})
        in_dutch = window.get("/")
    assert "Welcome" in in_english.text
    assert back.headers["location"] == "/" and "Welkom" in in_dutch.text


def _enrolled_at(portal: Portal, username: str) -> str | None:
    with sqlite3.connect(portal.database) as db:
        return db.execute("SELECT totp_enrolled_at FROM user_account WHERE username = ?", (username,)).fetchone()[0]


def test_the_first_login_enrols_an_authenticator_app_then_asks_only_the_code(fresh_portal: Portal) -> None:
    # The API needs no enrolment: its two steps work for an account that never saw the QR code.
    assert fresh_portal.login("demo.hr") and _enrolled_at(fresh_portal, "demo.hr") is None
    with browser(fresh_portal, "en") as client:
        page = client.get("/login")
        client.post("/login", data={"csrf": csrf_of(page), "username": "demo.hr", "password": DEMO_PASSWORD})
        enrol = client.get("/login/code")
        wrong = client.post("/login/code", data={"csrf": csrf_of(enrol), "code": "000000"})
        done = client.post("/login/code", data={"csrf": csrf_of(enrol), "code": fresh_portal.totp_code("demo.hr")})
    assert '<div class="qr" id="totp-qr"><svg' in enrol.text and "Set up your authenticator app" in enrol.text
    secret = re.search(r'<code id="totp-secret">([^<]+)</code>', enrol.text).group(1)
    assert secret.replace(" ", "") == SECRETS["demo.hr"]
    assert wrong.status_code == 401 and "The code is incorrect." in wrong.text and "totp-qr" in wrong.text
    assert done.status_code == 303 and _enrolled_at(fresh_portal, "demo.hr") is not None
    with browser(fresh_portal, "en") as client:
        page = client.get("/login")
        client.post("/login", data={"csrf": csrf_of(page), "username": "demo.hr", "password": DEMO_PASSWORD})
        code_only = client.get("/login/code")
    assert "totp-qr" not in code_only.text and "totp-secret" not in code_only.text
    assert "Enter the 6-digit code from your authenticator app." in code_only.text


def test_the_code_step_needs_the_password_step_first(portal: Portal) -> None:
    with browser(portal) as client:
        answer = client.get("/login/code")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?m=login_expired"


def test_the_widget_script_is_served_from_node_modules(portal: Portal) -> None:
    with browser(portal) as client:
        script = client.get("/static/vendor/rasa-webchat.js")
        chat = client.get("/static/chat.js")
    assert script.status_code == 200 and "WebChat" in script.text[:5000]
    assert script.headers["content-type"].startswith("text/javascript")
    assert chat.status_code == 200


def test_an_expired_session_goes_back_to_login_with_a_message(portal: Portal, signed_in) -> None:
    client, _ = signed_in("demo.finance")
    claims = jwt.decode(client.cookies["portal_session"], options={"verify_signature": False})
    key = (portal.data_dir / "keys" / "jwt-es256.pem").read_bytes()
    header = jwt.get_unverified_header(client.cookies["portal_session"])
    # The same token as the portal issued, thirty minutes later.
    expired = jwt.encode({**claims, "iat": claims["iat"] - 3600, "nbf": claims["nbf"] - 3600, "exp": claims["exp"] - 3600}, key, "ES256", headers=header)
    with browser(portal, "nl") as window:
        window.cookies.set("portal_session", expired)
        answer = window.get("/scheme")
        login = window.get(answer.headers["location"])
    assert answer.status_code == 303 and answer.headers["location"] == "/login?m=expired"
    assert "Uw sessie is verlopen" in login.text


def test_a_deactivated_user_is_out_at_once(fresh_portal: Portal) -> None:
    with browser(fresh_portal) as client:
        log_in(client, fresh_portal, "other.hr")
        # No API deactivates an account yet; the portal's user management would set this flag.
        with sqlite3.connect(fresh_portal.database) as db:
            db.execute("UPDATE user_account SET is_active = 0 WHERE username = 'other.hr'")
        answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?m=invalid"


def test_a_missing_widget_bundle_is_said_clearly(tmp_path: Path) -> None:
    with running_portal(tmp_path, extra_env={"PORTAL_WEBCHAT_JS": str(tmp_path / "missing" / "index.js")}) as bare:
        with browser(bare) as client:
            script = client.get("/static/vendor/rasa-webchat.js")
        startup_log = (tmp_path / "portal.log").read_text()
    assert script.status_code == 404 and "make install" in script.text
    assert "chat widget unavailable" in startup_log and "make install" in startup_log
