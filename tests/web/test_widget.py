"""The chat widget on the portal's pages, in a real browser against the real portal and assistant.

rasa-webchat (from web/node_modules) talks Socket.IO to our channel (bot/channels/socketio.py) with the
chat token chat.js fetched from the portal; a termination reported in the widget lands in the portal.
"""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, Route, expect

from tests.bot.test_socketio_channel import expired, tracker
from tests.web.conftest import log_in

REPLY_TIMEOUT_MS = 60_000
CONVERSATION_KEY = "portal.chat.conversation"


def end_of_next_month() -> date:
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def open_widget(page: Page) -> None:
    # Not before the assistant confirmed the conversation: rasa-webchat then reloads its state from storage.
    expect(page.locator('#chat-widget[data-chat-state="connected"]')).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    # rasa-webchat remembers (in sessionStorage) whether the chat was open on the previous page.
    if page.locator(".rw-chat-open").count() == 0:
        page.click(".rw-launcher")
    expect(page.locator(".rw-new-message")).to_be_enabled(timeout=REPLY_TIMEOUT_MS)


def say(page: Page, text: str) -> None:
    page.fill(".rw-new-message", text)
    page.press(".rw-new-message", "Enter")
    expect(page.locator(".rw-client").last).to_contain_text(text)


def last_reply(page: Page):
    return page.locator(".rw-response").last


def conversation_of(page: Page) -> str:
    return page.evaluate(f"() => sessionStorage.getItem('{CONVERSATION_KEY}')")


def test_a_termination_reported_in_the_widget_reaches_the_portal(
    browser: Browser, portal: object, rasa_url: str
) -> None:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    socket_errors: list[str] = []
    page.on("console", lambda msg: socket_errors.append(msg.text) if msg.type == "error" else None)
    try:
        log_in(page, portal, "demo.hr")
        open_widget(page)
        # The greeting chat.js sends when the conversation starts is answered in Dutch.
        expect(last_reply(page)).to_contain_text("Waarmee kan ik u", timeout=REPLY_TIMEOUT_MS)
        say(page, "Emma Visser gaat per eind volgende maand uit dienst")
        expect(last_reply(page)).to_contain_text("Emma Visser (2001686)", timeout=REPLY_TIMEOUT_MS)
        # The confirmation comes with buttons; the user clicks "Ja, doorgeven".
        page.locator(".rw-reply", has_text="Ja, doorgeven").click()
        expect(last_reply(page)).to_contain_text("Doorgegeven", timeout=REPLY_TIMEOUT_MS)

        # The same conversation continues on the next page, with its transcript.
        conversation = conversation_of(page)
        page.goto(f"{portal.url}/")
        assert conversation_of(page) == conversation
        open_widget(page)
        expect(page.locator(".rw-client", has_text="Emma Visser gaat per")).to_have_count(1)
    finally:
        context.close()

    with portal.client() as client:
        listed = client.get("/api/changes/individual", headers=portal.headers("demo.hr")).json()
    rows = [row for row in listed if row["participant"] == "2001686" and row["type"] == "termination"]
    assert [row["effective_date"] for row in rows] == [end_of_next_month().isoformat()]
    # The widget's scripts and its socket are allowed by the portal's policy (its Google font is not, by design).
    assert not [text for text in socket_errors if "script-src" in text or "connect-src" in text]


def test_another_user_cannot_join_or_read_the_conversation(browser: Browser, portal: object, rasa_url: str) -> None:
    first_context = browser.new_context(locale="nl-NL")
    second_context = browser.new_context(locale="nl-NL")
    try:
        first = first_context.new_page()
        log_in(first, portal, "demo.hr")
        open_widget(first)
        say(first, "uitdiensttreding voor 2001685")
        expect(first.locator(".rw-response").nth(1)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        victim_conversation = conversation_of(first)
        assert victim_conversation

        # The second user's tab claims the first conversation before any script of the page runs.
        second = second_context.new_page()
        second.add_init_script(f"sessionStorage.setItem('{CONVERSATION_KEY}', '{victim_conversation}')")
        log_in(second, portal, "demo.finance")
        # The portal does not renew another user's conversation: the page starts one of its own.
        renewal = second.evaluate(
            """async (conversationId) => {
                const widget = document.getElementById("chat-widget");
                const response = await fetch(widget.dataset.tokenUrl, {
                    method: "POST", credentials: "same-origin",
                    headers: {"Content-Type": "application/json", "X-CSRF-Token": widget.dataset.csrf},
                    body: JSON.stringify({conversation_id: conversationId}),
                });
                return response.status;
            }""",
            victim_conversation,
        )
        assert renewal == 404
        open_widget(second)
        expect(last_reply(second)).to_contain_text("Waarmee kan ik u", timeout=REPLY_TIMEOUT_MS)
        assert conversation_of(second) not in (None, victim_conversation)

        # What the first user says next, and the assistant's answer, never reach the second widget.
        before = first.locator(".rw-response").count()
        say(first, "per eind volgende maand")
        expect(first.locator(".rw-response").nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        first.wait_for_timeout(2000)
        first_replies = first.locator(".rw-response").all_inner_texts()
        second_text = second.inner_text(".rw-messages-container")
        assert "2001685" not in second_text and "uitdiensttreding" not in second_text
        assert not [reply for reply in first_replies[1:] if reply.strip() and reply in second_text]
        assert second.locator(".rw-response").count() == 1
    finally:
        first_context.close()
        second_context.close()


def test_a_token_that_expired_on_the_page_is_renewed_in_place(browser: Browser, portal: object, rasa_url: str) -> None:
    """As after a laptop slept: the page holds a token past its expiry; the assistant asks, the page renews."""
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    requests: list[dict] = []

    def first_token_already_expired(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        requests.append(body)
        response = route.fetch()
        issued = response.json()
        if len(requests) == 1:  # the real token, re-signed by the portal's key with an expiry in the past
            issued["token"] = expired(portal, issued["token"])
        route.fulfill(response=response, json=issued)

    try:
        log_in(page, portal, "demo.hr")
        page.route("**/chat/token", first_token_already_expired)
        page.reload()
        open_widget(page)
        conversation = conversation_of(page)
        # The page answered the assistant's token_expired by renewing the token of the same conversation.
        assert requests[1:] == [{"conversation_id": conversation}]
        before = page.locator(".rw-response").count()
        say(page, "hallo")
        expect(page.locator(".rw-response").nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        expect(page.locator(".chat-notice")).to_be_hidden()
    finally:
        context.close()
    user_texts = [e["text"] for e in tracker(rasa_url, portal, conversation)["events"] if e["event"] == "user"]
    assert "hallo" in user_texts
