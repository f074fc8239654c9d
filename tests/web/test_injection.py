"""Names that carry HTML and script, registered through the API, shown by the portal's pages and the chat widget.

They must appear as the text that was typed and never run: the pages escape (Jinja autoescaping, a strict
Content-Security-Policy), and the widget shows the assistant's answer as text.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from actions.parsing import is_valid_bsn
from tests.web.conftest import log_in
from tests.web.test_widget import REPLY_TIMEOUT_MS, last_reply, open_widget, say

FIRST_NAME = '<img src=x onerror="window.__pwned=1">'
LAST_NAME = "Inject<script>window.__pwned=2</script>"


def new_bsn() -> str:
    rng = random.Random()
    while True:
        candidate = f"{rng.randrange(100_000_000, 999_999_999)}"
        if is_valid_bsn(candidate):
            return candidate


def register(portal: object) -> str:
    """Registers the participant through the API as demo.hr; returns its number."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    body = {"scheme": 1, "first_name": FIRST_NAME, "last_name": LAST_NAME, "gender": "V", "birth_date": "1990-01-01",
            "date_in_service": today.isoformat(), "salary": "40000"}
    with portal.client() as client:
        for _ in range(5):  # a random BSN may be taken already
            response = client.post("/api/participants", json={**body, "bsn": new_bsn()}, headers=portal.headers("demo.hr"))
            if response.status_code == 201:
                return response.json()["participant"]
    raise AssertionError(f"registration refused: {response.text}")


def test_html_and_script_in_a_name_stay_text_on_the_pages_and_in_the_widget(
    browser: Browser, portal: object, rasa_url: str
) -> None:
    number = register(portal)
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        log_in(page, portal, "demo.hr")
        page.goto(f"{portal.url}/participants/{number}")
        expect(page.locator("main")).to_contain_text(LAST_NAME)
        assert page.locator("main img[src='x']").count() == 0
        assert page.evaluate("() => window.__pwned") is None

        open_widget(page)
        say(page, f"wat verdient {number}?")
        expect(last_reply(page)).to_contain_text("€", timeout=REPLY_TIMEOUT_MS)
        expect(page.locator(".rw-response", has_text="Inject<script>")).not_to_have_count(0)
        assert page.locator(".rw-conversation-container img[src='x']").count() == 0
        assert page.evaluate("() => window.__pwned") is None
        assert dialogs == []
    finally:
        context.close()
