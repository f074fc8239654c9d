"""The service desk's console pages over HTTP (no assistant connected; the live parts are tested in tests/desk/)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import portal as portal_package
from tests.server import DEMO_PASSWORD, Portal

PACKAGE = Path(portal_package.__file__).parent
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BSN = "123456782"


def _csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


def _log_in(client: httpx.Client, portal: Portal, username: str) -> None:
    portal.login(username)  # API token first: later API calls in the session need no new TOTP code
    password = client.post("/login", data={"csrf": _csrf(client.get("/login")), "username": username, "password": DEMO_PASSWORD})
    assert password.status_code == 303, password.text
    code = client.post("/login/code", data={"csrf": _csrf(client.get("/login/code")), "code": portal.totp_code(username)})
    assert code.status_code == 303 and code.headers["location"] == "/", code.text


@pytest.fixture(scope="module")
def browser(portal: Portal) -> Iterator[Callable[[str], httpx.Client]]:
    """A logged-in browser per user (cookies kept, redirects not followed)."""
    clients: dict[str, httpx.Client] = {}

    def of(username: str) -> httpx.Client:
        if username not in clients:
            clients[username] = httpx.Client(base_url=portal.url, timeout=30)
            _log_in(clients[username], portal, username)
        return clients[username]

    yield of
    for client in clients.values():
        client.close()


@pytest.fixture
def handoff_id(portal: Portal) -> int:
    with portal.client() as client:
        issued = client.post("/api/chat/token", headers=portal.headers("demo.finance")).json()
        body = {
            "conversation_id": issued["conversation_id"],
            "channel": "chat",
            "reason": "forbidden",
            "language": "nl",
            "summary": "Uitdiensttreding van ter Assob",
            "transcript": [
                {"sender": "user", "text": f"Ter Assob gaat uit dienst, BSN {BSN}", "timestamp": datetime.now(UTC).isoformat()},
                {"sender": "bot", "text": "Dat mag u met uw rol niet doen.", "timestamp": datetime.now(UTC).isoformat()},
            ],
        }
        created = client.post("/api/handoffs", json=body, headers={"Authorization": f"Bearer {issued['token']}"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_the_queue_lists_what_the_desk_needs_and_refreshes_itself(browser, handoff_id: int) -> None:
    page = browser("desk.agent").get("/desk")
    assert page.status_code == 200, page.text
    assert int(page.headers["Refresh"]) <= 15
    row = re.search(rf'<tr data-handoff="{handoff_id}".*?</tr>', page.text, re.S).group()
    for shown in ("De rol van de gebruiker staat het niet toe", "Chat in het portaal", "NL", "Voorbeeld Techniek B.V.",
                  "Frank Nijhuis", "Wachtend", f'href="/desk/handoffs/{handoff_id}"'):
        assert shown in row
    assert re.search(r"<td>\d+ (seconden|seconde|minuut|minuten)</td>", row), row


def test_the_conversation_page_shows_the_masked_transcript_and_the_actions(browser, handoff_id: int) -> None:
    page = browser("desk.agent").get(f"/desk/handoffs/{handoff_id}")
    assert page.status_code == 200, page.text
    assert "Ter Assob gaat uit dienst, BSN *****6782" in page.text and BSN not in page.text
    assert 'id="take-over"' in page.text and 'id="resolve"' in page.text
    assert 'id="reply-form"' not in page.text  # replying comes after taking over
    assert 'data-url="/desk/handoffs/' in page.text and '<script src="/static/desk.js">' in page.text
    assert browser("desk.agent").get("/static/desk.js").status_code == 200


def test_without_the_assistant_taking_over_explains_and_changes_nothing(browser, handoff_id: int, portal: Portal) -> None:
    client = browser("desk.agent")
    page = client.get(f"/desk/handoffs/{handoff_id}")
    answer = client.post(f"/desk/handoffs/{handoff_id}/take", data={"csrf": _csrf(page)})
    assert answer.status_code == 503
    assert "Het portaal is niet verbonden met de assistent." in answer.text
    live = client.get(f"/desk/handoffs/{handoff_id}/messages")
    assert live.status_code == 503 and live.json()["errors"][0]["code"] == "assistant_not_connected"
    with portal.client() as api:
        state = api.get(f"/api/handoffs/{handoff_id}", headers=portal.headers("desk.agent")).json()
    assert state["desk_state"] == "waiting"


def test_resolving_with_a_note_closes_it(browser, handoff_id: int, portal: Portal) -> None:
    client = browser("desk.agent")
    page = client.get(f"/desk/handoffs/{handoff_id}")
    answer = client.post(f"/desk/handoffs/{handoff_id}/resolve", data={"csrf": _csrf(page), "note": "Gebeld met HR."})
    assert answer.status_code == 303 and answer.headers["location"] == f"/desk/handoffs/{handoff_id}"
    after = client.get(f"/desk/handoffs/{handoff_id}")
    assert "Afgehandeld" in after.text and "Gebeld met HR." in after.text and 'id="take-over"' not in after.text
    assert f'data-handoff="{handoff_id}"' not in client.get("/desk").text


def test_a_post_without_the_csrf_token_is_refused(browser, handoff_id: int) -> None:
    answer = browser("desk.agent").post(f"/desk/handoffs/{handoff_id}/resolve", data={"note": "Zonder token."})
    assert answer.status_code == 403


@pytest.mark.parametrize("username", ["demo.um", "demo.finance"])
def test_employer_users_never_reach_the_console(browser, handoff_id: int, username: str) -> None:
    client = browser(username)
    assert client.get("/desk").status_code == 403
    assert client.get(f"/desk/handoffs/{handoff_id}").status_code == 403
    assert client.get(f"/desk/handoffs/{handoff_id}/messages").status_code == 403
    home = client.get("/")
    csrf = _csrf(home)
    assert client.post(f"/desk/handoffs/{handoff_id}/take", data={"csrf": csrf}).status_code == 403
    assert f'data-handoff="{handoff_id}"' not in client.get("/desk").text


def test_without_a_session_the_console_asks_to_log_in(portal: Portal, handoff_id: int) -> None:
    with httpx.Client(base_url=portal.url) as client:
        assert client.get("/desk").headers["location"].startswith("/login")
        assert client.get(f"/desk/handoffs/{handoff_id}").headers["location"].startswith("/login")


def test_every_text_of_the_console_has_a_dutch_translation() -> None:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("desk/**.py", "python"), ("web/templates/desk_*.html", "jinja2")],
        keywords={"N_": None, "_": None},
        options_map={"web/templates/desk_*.html": {"extensions": "jinja2.ext.i18n"}},
    )
    in_console = {message for _, _, message, _, _ in found if isinstance(message, str)}
    with (PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert "Take over" in in_console and "The user asked for a person" in in_console
    assert in_console - translated == set()
