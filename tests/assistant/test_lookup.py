"""End to end: lookups, status and guidance over the REST channel, with the real portal's data and rights."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tests.conftest import Chat

NBSP = "\u00a0"


def joined(replies: list[str]) -> str:
    return "\n".join(replies)


def first_of_next_month() -> date:
    current = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    return date(current.year + 1, 1, 1) if current.month == 12 else date(current.year, current.month + 1, 1)


def handoffs(conversation: Chat) -> list[dict]:
    portal = conversation.portal
    with portal.client() as client:
        listed = client.get("/api/handoffs", params={"status": "open"}, headers=portal.headers("desk.agent")).json()
    return [h for h in listed if h["conversation_id"] == conversation.sender]


def test_lookup_by_number_in_dutch_shows_the_salary_as_dutch_write_it(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    reply = joined(conversation.say("wat is het salaris van 2001681"))
    assert f"€{NBSP}52.242,28" in reply, reply
    assert "Gerrit ter Assob" in reply and "1 augustus 2019" in reply and "actief" in reply
    assert "100%" in reply


def test_lookup_by_number_in_english_shows_the_salary_as_english_writes_it(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    reply = joined(conversation.say("what is the salary of 2001681"))
    assert "€52,242.28" in reply, reply
    assert "1 August 2019" in reply and "active" in reply


def test_finance_is_refused_without_data_and_without_a_handoff(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.finance")
    reply = joined(conversation.say("wat is het salaris van 2001681"))
    assert "rol" in reply and "HR" in reply, reply
    assert "52.242" not in reply and "52,242" not in reply and "ter Assob" not in reply
    english = joined(conversation.say("what is the salary of Gerrit ter Assob"))
    assert "role" in english and "52,242" not in english and "52.242" not in english, english
    assert handoffs(conversation) == []


def test_a_name_with_two_matches_offers_buttons_that_look_up_the_choice(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("hoeveel verdient Jansen")
    payloads = {button["payload"] for button in conversation.buttons()}
    assert {"gegevens van 2001682", "gegevens van 2001683"} <= payloads, conversation.replies
    reply = joined(conversation.say("gegevens van 2001683"))
    assert "Anna Jansen (2001683)" in reply and "€" in reply


def test_status_after_a_submitted_change_names_it(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    portal = conversation.portal
    effective = first_of_next_month()
    with portal.client() as client:
        submitted = client.post(
            "/api/participants/2001686/salary-change",
            json={"effective_date": effective.isoformat(), "salary": "68000"},
            headers=portal.headers("demo.hr"),
        )
    assert submitted.status_code in (200, 201), submitted.text
    overview = joined(conversation.say("zijn mijn wijzigingen al verwerkt?"))
    # The overview names participants as the portal's list does ("Visser, E."); the newest change comes first.
    first = overview.splitlines()[1]
    assert "Visser" in first and "(2001686)" in first and "salaris-/deeltijdwijziging" in first, overview
    assert "ontvangen" in first
    single = joined(conversation.say("what is the status of the change for 2001686"))
    assert "Emma Visser (2001686)" in single and "salary/part-time change" in single and "received" in single, single


def test_a_collective_upload_in_progress_is_listed(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    database = conversation.portal.database
    with sqlite3.connect(database) as db:
        (employer,) = db.execute("SELECT id FROM employer WHERE name = 'Voorbeeld Techniek B.V.'").fetchone()
        upload = db.execute(
            "INSERT INTO collective_change (employer_id, kind, status, uploaded_at, filename, row_count, progress)"
            " VALUES (?, 'salary', 'processing', '2026-11-27 09:00:00', 'lookup-test.xlsx', 250, 40)",
            (employer,),
        ).lastrowid
    try:
        reply = joined(conversation.say("is the collective upload done yet"))
    finally:
        with sqlite3.connect(database) as db:
            db.execute("UPDATE collective_change SET status = 'processed' WHERE id = ?", (upload,))
    assert "lookup-test.xlsx" in reply and "processing" in reply and "40/250 rows" in reply, reply


def test_guidance_names_the_portal_page(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    assert "/arrange" in joined(conversation.say("hoe meld ik een nieuwe deelnemer aan"))
    assert "/export" in joined(conversation.say("how do I export my participants to excel"))
    assert "/documents/" in joined(conversation.say("waar staan de juridische documenten van onze regeling"))
    assert "/accounts/new" in joined(conversation.say("how do I create an account for a colleague"))


def test_out_of_scope_answers_politely_with_what_the_assistant_can_do(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    dutch = joined(conversation.say("wat voor weer wordt het morgen in Utrecht"))
    assert "niet mee helpen" in dutch and "opzoeken" in dutch, dutch
    english = joined(conversation.say("can you book me a flight to Rome"))
    assert "can't help" in english and "look up" in english, english
