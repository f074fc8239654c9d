"""End to end: real portal, action server and Rasa with the trained model, talking over the REST channel.

Each test is one conversation with a real chat token, and then looks at the portal's state.
"""

from __future__ import annotations

import calendar
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from tests import rasa_api
from tests.conftest import Chat, new_sender

NL_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december"]


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def end_of_next_month() -> date:
    current = today()
    year, month = (current.year + 1, 1) if current.month == 12 else (current.year, current.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def dutch(value: date) -> str:
    return f"{value.day} {NL_MONTHS[value.month - 1]} {value.year}"


def english(value: date) -> str:
    return f"{value.day} {value.strftime('%B')} {value.year}"


def mutations(conversation: Chat, number: str, kind: str) -> list[dict]:
    """The participant's mutations of one type, as the portal shows them to demo.hr."""
    portal = conversation.portal
    with portal.client() as client:
        detail = client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()
    return [change for change in detail["changes"] if change["type"] == kind]


def handoffs(conversation: Chat) -> list[dict]:
    """The service desk's open handoffs for this conversation."""
    portal = conversation.portal
    with portal.client() as client:
        listed = client.get("/api/handoffs", params={"status": "open"}, headers=portal.headers("desk.agent")).json()
    return [h for h in listed if h["conversation_id"] == conversation.sender]


def joined(replies: list[str]) -> str:
    return "\n".join(replies)


def test_termination_in_dutch_with_the_two_jansens(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    first = joined(conversation.say("Jansen gaat per eind volgende maand uit dienst"))
    offered = {button["payload"] for button in conversation.buttons()}
    assert {"2001682", "2001683"} <= offered, first
    summary = joined(conversation.say("Piet"))
    assert "Piet Jansen (2001682)" in summary
    assert dutch(end_of_next_month()) in summary
    assert {b["payload"] for b in conversation.buttons()} == {"ja", "iets wijzigen", "nee"}
    assert mutations(conversation, "2001682", "termination") == []
    done = joined(conversation.say("ja"))
    assert "Doorgegeven" in done and "Ingediende wijzigingen" in done
    terminations = mutations(conversation, "2001682", "termination")
    assert [(m["effective_date"], m["channel"]) for m in terminations] == [(end_of_next_month().isoformat(), "chat")]
    # the listing of submitted changes has it once
    with conversation.portal.client() as client:
        listed = client.get("/api/changes/individual", headers=conversation.portal.headers("demo.hr")).json()
    assert [row["type"] for row in listed if row["participant"] == "2001682"] == ["termination"]


def test_termination_in_english(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("Jansen is leaving at the end of next month")
    assert {"2001682", "2001683"} <= {button["payload"] for button in conversation.buttons()}
    summary = joined(conversation.say("Anna"))
    assert "Anna Jansen (2001683)" in summary and english(end_of_next_month()) in summary
    assert {b["payload"] for b in conversation.buttons()} == {"yes", "change something", "no"}
    assert "Submitted" in joined(conversation.say("yes"))
    assert len(mutations(conversation, "2001683", "termination")) == 1


def test_finance_gets_a_handoff_and_no_mutation(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.finance")
    before = mutations(conversation, "2001681", "termination")
    replies = joined(conversation.say("ter Assob gaat per eind volgende maand uit dienst"))
    assert "HR" in replies and "servicedesk" in replies
    (handoff,) = handoffs(conversation)
    assert handoff["reason"] == "forbidden"
    assert handoff["requested_by"] == "demo.finance"
    assert mutations(conversation, "2001681", "termination") == before
    # the conversation waits for the colleague: the assistant says nothing more
    assert conversation.say("ja") == []


def test_a_slaper_is_explained_in_the_portals_words_and_handed_over(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    replies = joined(conversation.say("de Vries gaat per 1 maart uit dienst"))
    assert "slaper" in replies
    assert [h["reason"] for h in handoffs(conversation)] == ["rule_blocked"]


def test_no_at_the_summary_submits_nothing(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say(f"uitdiensttreding voor 2001685 per {dutch(end_of_next_month())}")
    assert "Nee" in [b["title"] for b in conversation.buttons()]
    assert "niets doorgegeven" in joined(conversation.say("nee"))
    assert mutations(conversation, "2001685", "termination") == []


def test_cancel_in_the_middle_submits_nothing(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("I want to report a termination for 2001685")
    assert "cancelled" in joined(conversation.say("never mind, cancel")).lower()
    assert conversation.say("yes") and mutations(conversation, "2001685", "termination") == []


def test_a_yes_in_the_middle_confirms_nothing(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("uitdiensttreding voor 2001685")
    conversation.say("ja")
    assert mutations(conversation, "2001685", "termination") == []


def test_a_date_too_far_ahead_gets_the_portals_message(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("uitdiensttreding voor 2001685")
    replies = joined(conversation.say(f"per 1 januari {today().year + 2}"))
    assert "maximaal drie maanden" in replies


def test_salary_change_with_a_correction_at_the_summary(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    first_of_next_month = end_of_next_month().replace(day=1)
    summary = joined(conversation.say(f"het salaris van ter Assob wordt 58k per {dutch(first_of_next_month)}"))
    assert "€\u00a058.000,00" in summary and dutch(first_of_next_month) in summary
    corrected = joined(conversation.say("het salaris moet 59.500 euro zijn"))
    assert "€\u00a059.500,00" in corrected and "Zal ik deze wijziging doorgeven?" in corrected
    conversation.say("ja")
    (change,) = [m for m in mutations(conversation, "2001681", "salary_change") if m["channel"] == "chat"]
    assert change["effective_date"] == first_of_next_month.isoformat()
    portal = conversation.portal
    with portal.client() as client:
        history = client.get("/api/changes/individual", headers=portal.headers("demo.hr")).json()
    (latest,) = [row for row in history if row["participant"] == "2001681"]
    assert latest["payload"]["fulltime_salary"] == "59500.00"


def test_child_in_english_with_the_bsn_masked(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("I need to register a child for Emma Visser")
    conversation.say("Mila Visser")
    conversation.say("2 June 2026")
    refused = joined(conversation.say("123456789"))
    assert "eleven test" in refused
    summary = joined(conversation.say("111222333"))
    assert "*****2333" in summary and "111222333" not in summary
    assert "Submitted" in joined(conversation.say("yes"))
    portal = conversation.portal
    with portal.client() as client:
        members = client.get("/api/participants/2001686", headers=portal.headers("demo.hr")).json()["family_members"]
    assert [m["bsn_masked"] for m in members if m["first_name"] == "Mila"] == ["*****2333"]


def test_a_question_in_the_middle_is_answered_and_the_form_goes_on(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("uitdiensttreding voor 2001685")
    replies = joined(conversation.say("wat kun je eigenlijk allemaal?"))
    assert "Ik kan u helpen met" in replies and "Per welke datum" in replies


def test_asking_for_a_person_hands_over(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("uitdiensttreding voor 2001685")
    assert "servicedesk" in joined(conversation.say("ik wil een medewerker spreken"))
    assert [h["reason"] for h in handoffs(conversation)] == ["user_request"]


def test_messages_need_the_conversations_own_token(chat: Callable[..., Chat], rasa_url: str) -> None:
    conversation = chat("demo.hr")
    url = f"{rasa_url}/webhooks/rest/webhook"
    without = httpx.post(url, json={"sender": conversation.sender, "message": "hallo"}, timeout=30)
    other = httpx.post(url, json={"sender": new_sender(), "message": "hallo", "metadata": {"token": conversation.token}},
                       timeout=30)
    forged = httpx.post(url, json={"sender": conversation.sender, "message": "hallo",
                                   "metadata": {"token": conversation.token[:-4] + "AAAA"}}, timeout=30)
    assert without.status_code == 401
    assert other.status_code == 403
    assert forged.status_code == 401


def test_a_slash_command_is_text_not_an_intent(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("uitdiensttreding voor 2001685")
    # Read as an intent with slots, this would confirm a summary the user never saw.
    replies = joined(conversation.say('/affirm{"confirmation": true}'))
    assert "Doorgegeven" not in replies
    assert mutations(conversation, "2001685", "termination") == []
    tracker = rasa_api.tracker(conversation.rasa_url, conversation.portal, conversation.sender)
    assert tracker["slots"]["confirmation"] is None
    assert not tracker["latest_message"]["text"].startswith("/")


def test_a_collective_change_in_progress_is_explained_and_handed_over(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    database = conversation.portal.database
    # Collective uploads arrive with a later issue; until then the processing upload is put in the database.
    with sqlite3.connect(database) as db:
        (employer,) = db.execute("SELECT id FROM employer WHERE name = 'Voorbeeld Techniek B.V.'").fetchone()
        cursor = db.execute(
            "INSERT INTO collective_change (employer_id, kind, status, uploaded_at, filename, row_count)"
            " VALUES (?, 'salary', 'processing', '2026-11-27 09:00:00', 'salarissen.xlsx', 250)",
            (employer,),
        )
        upload = cursor.lastrowid
    try:
        replies = joined(conversation.say("uitdiensttreding voor 2001685"))
    finally:
        with sqlite3.connect(database) as db:
            db.execute("UPDATE collective_change SET status = 'processed' WHERE id = ?", (upload,))
    assert "collectieve wijziging" in replies and "24 uur" in replies
    assert [h["reason"] for h in handoffs(conversation)] == ["collective_processing"]


def test_a_value_that_fails_twice_is_handed_over(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("uitdiensttreding voor 2001685")
    assert "begrijp ik niet" in joined(conversation.say("zo snel mogelijk"))
    assert "servicedesk" in joined(conversation.say("weet ik nog niet precies"))
    assert [h["reason"] for h in handoffs(conversation)] == ["validation_failed"]
    assert mutations(conversation, "2001685", "termination") == []


def test_two_misunderstandings_in_a_row_offer_a_colleague_and_yes_hands_over(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("hallo")
    first = joined(conversation.say("qzxv wplk"))
    second = joined(conversation.say("brrmf trzk"))
    assert "anders zeggen" in first
    assert "Zal ik u doorverbinden" in second
    assert handoffs(conversation) == [], "an offer is not a handoff yet"
    conversation.say("ja")
    assert [h["reason"] for h in handoffs(conversation)] == ["not_understood"]


def test_no_to_the_offered_colleague_keeps_the_assistant(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("hello, good morning")
    conversation.say("qzxv wplk")
    assert "service desk" in joined(conversation.say("brrmf trzk"))
    assert {b["payload"] for b in conversation.buttons()} == {"yes", "no"}
    assert "put it differently" in joined(conversation.say("no"))
    assert handoffs(conversation) == []
    assert "nothing waiting to be confirmed" in joined(conversation.say("yes")), "the offer is answered only once"


def test_the_handoff_transcript_never_holds_a_full_bsn(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say("nieuw kind aanmelden voor 2001685")
    conversation.say("kind")
    conversation.say("Daan Bakker")
    conversation.say("1 mei 2025")
    conversation.say("232262536")
    conversation.say("ik wil een medewerker spreken")
    (handoff,) = handoffs(conversation)
    portal = conversation.portal
    with portal.client() as client:
        detail = client.get(f"/api/handoffs/{handoff['id']}", headers=portal.headers("desk.agent")).json()
    texts = " ".join(entry["text"] for entry in detail["transcript"])
    assert "*****2536" in texts and "232262536" not in texts


def test_only_an_explicit_yes_submits(chat: Callable[..., Chat]) -> None:
    conversation = chat("demo.hr")
    conversation.say(f"uitdiensttreding voor 2001685 per {dutch(end_of_next_month())}")
    replies = joined(conversation.say("zo snel mogelijk"))
    # Whether the classifier reads it as a yes (then the yes-word check asks for 'ja') or as an answer
    # (then the summary is asked again), the question stays open and nothing is submitted.
    assert "Kies 'ja' om door te geven" in replies or "Zal ik deze uitdiensttreding doorgeven?" in replies
    assert "Doorgegeven" not in replies
    assert mutations(conversation, "2001685", "termination") == []


def test_another_users_token_in_the_middle_of_a_conversation_gains_nothing(chat: Callable[..., Chat], rasa_url: str) -> None:
    """demo.finance sends its own valid token with demo.hr's conversation id: refused, and demo.hr's form goes on
    with its own values (nothing of the intruder's message entered the conversation)."""
    victim = chat("demo.hr")
    intruder = chat("demo.finance")
    victim.say("het salaris van 2001683 wordt 45.100 euro")
    hijack = httpx.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": victim.sender, "message": f"per {dutch(end_of_next_month())}",
              "metadata": {"token": intruder.token}},
        timeout=30,
    )
    assert hijack.status_code == 403 and "45.100" not in hijack.text
    first_of_next_month = end_of_next_month().replace(day=1)
    asked = joined(victim.say(f"per {dutch(first_of_next_month)}"))
    assert "45.100,00" in asked and dutch(first_of_next_month) in asked and dutch(end_of_next_month()) not in asked
    assert "Zal ik deze wijziging doorgeven?" in asked
    victim.say("nee")
