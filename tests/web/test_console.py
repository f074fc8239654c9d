"""The service-desk console in a real browser: desk.agent takes a handed-over conversation over and replies.

The first test's user talks through the REST channel (the console in detail); in the second, demo.finance
uses the chat widget on the portal's pages and sees the desk's reply arrive there (Socket.IO).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Chat
from tests.desk.conftest import Desk, rasa_tracker
from tests.web.conftest import log_in

LIVE_TIMEOUT_MS = 10_000  # the pane polls every 1.5 s


def _enrolled(portal: object, username: str) -> bool:
    with sqlite3.connect(portal.database) as db:
        (enrolled_at,) = db.execute("SELECT totp_enrolled_at FROM user_account WHERE username = ?", (username,)).fetchone()
    return enrolled_at is not None


@pytest.fixture(scope="module")
def desk_page(browser: Browser, portal: object) -> Iterator[Page]:
    """desk.agent logged in on the pages (QR enrolment the first time), in Dutch."""
    first_time = not _enrolled(portal, "desk.agent")
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    assert log_in(page, portal, "desk.agent") == first_time
    yield page
    context.close()


def _open_from_the_queue(page: Page, portal: object, conversation_id: str) -> None:
    page.goto(f"{portal.url}/")
    page.click("[data-tile=desk] a")
    page.wait_for_url("**/desk")
    row = page.locator(f'#desk-queue tr[data-conversation="{conversation_id}"]')
    expect(row).to_contain_text("Wachtend")
    row.locator("a.open-handoff").click()
    page.wait_for_url("**/desk/handoffs/*")


def test_desk_agent_takes_over_in_the_console_and_replies(
    desk_page: Page, chat: Callable[..., Chat], portal: object, rasa_url: str
) -> None:
    conversation = chat("demo.finance")
    assert "servicedesk" in " ".join(conversation.say("ter Assob gaat per eind volgende maand uit dienst"))
    page = desk_page
    _open_from_the_queue(page, portal, conversation.sender)
    expect(page.locator("#transcript")).to_contain_text("ter Assob gaat per eind volgende maand uit dienst")
    expect(page.locator("#reply-form")).to_have_count(0)

    page.click("#take-over")
    expect(page.locator("#desk-state")).to_contain_text("Overgenomen door Daan Koster")
    live = page.locator("#live-messages")
    expect(live).to_contain_text("Een medewerker van de servicedesk helpt u nu verder.", timeout=LIVE_TIMEOUT_MS)

    assert conversation.say("Is er al iemand? Mijn BSN is 111222333") == []
    expect(live.locator(".from-user")).to_contain_text("Is er al iemand? Mijn BSN is *****2333", timeout=LIVE_TIMEOUT_MS)
    expect(live).not_to_contain_text("111222333")

    reply = "Goedemiddag, u spreekt met Daan. Ik geef de uitdiensttreding door aan uw HR-collega."
    page.fill("#reply-text", reply)
    page.click("#reply-send")
    expect(live.locator(".from-agent")).to_contain_text(reply, timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#reply-text")).to_have_value("")
    assert reply in [e.get("text") for e in rasa_tracker(rasa_url, portal, conversation.sender)["events"]]

    page.click("#give-back")
    expect(page.locator("#desk-state")).to_contain_text("Teruggegeven aan de assistent")
    assert conversation.say("hallo") != []  # the assistant answers again
    expect(live.locator(".from-user").last).to_contain_text("hallo", timeout=LIVE_TIMEOUT_MS)

    page.fill("#resolve-note", "Uitgelegd dat HR de uitdiensttreding doorgeeft.")
    page.click("#resolve")
    expect(page.locator("#desk-state")).to_contain_text("Afgehandeld")
    handoff = Desk(portal).handoff(int(page.url.rsplit("/", 1)[1]))
    assert (handoff["status"], handoff["resolution_note"]) == ("resolved", "Uitgelegd dat HR de uitdiensttreding doorgeeft.")


WIDGET_REPLY_TIMEOUT_MS = 45_000  # Rasa with the trained model, on a busy CI machine


def _say_in_widget(page: Page, text: str) -> None:
    page.fill(".rw-new-message", text)
    page.press(".rw-new-message", "Enter")
    expect(page.locator(".rw-client").last).to_contain_text(text)


def test_the_reply_reaches_the_users_widget(browser: Browser, desk_page: Page, portal: object, rasa_url: str) -> None:
    desk = Desk(portal)
    before = {h["id"] for h in desk.call("GET", "/api/handoffs").json()}
    user_context = browser.new_context(locale="nl-NL")
    try:
        widget = user_context.new_page()
        log_in(widget, portal, "demo.finance")
        # rasa-webchat reloads its state once the session is confirmed; a click before that is undone.
        expect(widget.locator('#chat-widget[data-chat-state="connected"]')).to_have_count(1, timeout=WIDGET_REPLY_TIMEOUT_MS)
        widget.click(".rw-launcher")
        _say_in_widget(widget, "ter Assob gaat per eind volgende maand uit dienst")
        expect(widget.locator(".rw-response").last).to_contain_text("servicedesk", timeout=WIDGET_REPLY_TIMEOUT_MS)
        (handoff,) = [h for h in desk.call("GET", "/api/handoffs").json() if h["id"] not in before]
        assert (handoff["requested_by"], handoff["channel"], handoff["desk_state"]) == ("demo.finance", "chat", "waiting")

        page = desk_page
        page.goto(f"{portal.url}/desk/handoffs/{handoff['id']}")
        page.click("#take-over")
        expect(page.locator("#desk-state")).to_contain_text("Overgenomen door Daan Koster")
        # Pushed to the widget through Rasa's HTTP API (output_channel=latest) and the Socket.IO room.
        expect(widget.locator(".rw-response").last).to_contain_text(
            "Een medewerker van de servicedesk helpt u nu verder.", timeout=WIDGET_REPLY_TIMEOUT_MS
        )

        _say_in_widget(widget, "Fijn, ik wacht.")
        live = page.locator("#live-messages")
        expect(live.locator(".from-user").last).to_contain_text("Fijn, ik wacht.", timeout=LIVE_TIMEOUT_MS)

        reply = "Ik heb uw HR-collega gevraagd de uitdiensttreding van de heer ter Assob door te geven."
        page.fill("#reply-text", reply)
        page.click("#reply-send")
        expect(widget.locator(".rw-response").last).to_contain_text(reply, timeout=WIDGET_REPLY_TIMEOUT_MS)
        expect(live.locator(".from-agent")).to_contain_text(reply, timeout=LIVE_TIMEOUT_MS)

        page.click("#give-back")
        expect(widget.locator(".rw-response").last).to_contain_text(
            "De assistent neemt het weer over.", timeout=WIDGET_REPLY_TIMEOUT_MS
        )
    finally:
        user_context.close()
