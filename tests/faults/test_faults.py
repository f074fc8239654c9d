"""Faults in the middle of a conversation, with the real processes stopped, frozen or locked for real.

The portal stopped (SIGTERM), frozen beyond the actions' timeout (SIGSTOP) or answering 500 (its
database locked by another writer), in the middle of a form and exactly at the confirmation; the
action server and Rasa restarted between two turns. Each time the user is told plainly, the values
already given are kept, a "ja" after recovery submits exactly once, and nothing is submitted
without one. Then the privacy check: a BSN typed in the chat is nowhere in full but in the
portal's own family member record.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import Chat
from tests.faults.conftest import ACTIONS_TIMEOUT_S, FaultStack, Restartable

NL_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december"]
UNREACHABLE = "niet bereikbaar"
SUMMARY_QUESTION = "Zal ik deze wijziging doorgeven?"

pytestmark = pytest.mark.slow


def first_of_next_month() -> date:
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    return date(today.year + 1, 1, 1) if today.month == 12 else date(today.year, today.month + 1, 1)


def dutch(value: date) -> str:
    return f"{value.day} {NL_MONTHS[value.month - 1]} {value.year}"


def joined(replies: list[str]) -> str:
    return "\n".join(replies)


def salary_changes(stack: FaultStack, number: str) -> list[dict]:
    """The participant's salary changes made through the chat, as the portal lists them."""
    portal = stack.portal
    with portal.client() as client:
        detail = client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr"))
    assert detail.status_code == 200, detail.text
    return [c for c in detail.json()["changes"] if c["type"] == "salary_change" and c["channel"] == "chat"]


def to_summary(conversation: Chat, number: str, salary: str) -> str:
    summary = joined(conversation.say(f"het salaris van {number} wordt {salary} per {dutch(first_of_next_month())}"))
    assert SUMMARY_QUESTION in summary, summary
    return summary


def test_portal_stopped_at_the_confirmation_then_one_yes_submits_once(
    fault_stack: FaultStack, fault_chat: Callable[..., Chat]
) -> None:
    conversation = fault_chat()
    before = len(salary_changes(fault_stack, "2001682"))
    to_summary(conversation, "2001682", "63.100 euro")
    fault_stack.portal.server.stop()
    try:
        failed = joined(conversation.say("ja"))
    finally:
        fault_stack.portal.server.start()
    assert UNREACHABLE in failed and "bewaard" in failed and "Doorgegeven" not in failed
    # The summary comes back with the values given before the outage.
    assert "63.100,00" in failed and SUMMARY_QUESTION in failed
    done = joined(conversation.say("ja"))
    assert "Doorgegeven" in done
    changes = salary_changes(fault_stack, "2001682")
    assert len(changes) == before + 1
    assert "63100.00" in {c["payload"]["fulltime_salary"] for c in changes}


def test_portal_frozen_beyond_the_timeout_at_the_confirmation_submits_once(
    fault_stack: FaultStack, fault_chat: Callable[..., Chat]
) -> None:
    """The frozen portal gets the request, answers too late and stores it: the retry must not add a second."""
    conversation = fault_chat()
    before = len(salary_changes(fault_stack, "2001683"))
    to_summary(conversation, "2001683", "47.200 euro")
    fault_stack.portal.server.pause()
    started = time.monotonic()
    try:
        failed = joined(conversation.say("ja"))
    finally:
        fault_stack.portal.server.resume()
    assert time.monotonic() - started >= ACTIONS_TIMEOUT_S
    assert UNREACHABLE in failed and "Doorgegeven" not in failed
    done = joined(conversation.say("ja"))
    assert "Doorgegeven" in done
    changes = salary_changes(fault_stack, "2001683")
    assert len(changes) == before + 1
    # The reference in the answer is that of the one change (the retry was answered as a replay).
    assert f"#{max(c['id'] for c in changes)}" in done


def test_portal_answering_500_at_the_confirmation_submits_once_after_recovery(
    fault_stack: FaultStack, fault_chat: Callable[..., Chat]
) -> None:
    conversation = fault_chat()
    before = len(salary_changes(fault_stack, "2001685"))
    to_summary(conversation, "2001685", "58.400 euro")
    log_before = fault_stack.portal.server.log_path.read_text()
    # Another writer holds the database: the portal waits its busy timeout, then answers 500.
    blocker = sqlite3.connect(fault_stack.portal.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        failed = joined(conversation.say("ja"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    new_log = fault_stack.portal.server.log_path.read_text()[len(log_before) :]
    assert any(" 500 " in line and "salary-change" in line for line in new_log.splitlines()), new_log[-2000:]
    assert UNREACHABLE in failed and "Doorgegeven" not in failed
    assert len(salary_changes(fault_stack, "2001685")) == before
    assert "Doorgegeven" in joined(conversation.say("ja"))
    assert len(salary_changes(fault_stack, "2001685")) == before + 1


def test_portal_stopped_in_the_middle_of_the_form_keeps_the_values(
    fault_stack: FaultStack, fault_chat: Callable[..., Chat]
) -> None:
    """The name cannot be looked up while the portal is down: only the name is asked again."""
    conversation = fault_chat()
    before = len(salary_changes(fault_stack, "2001686"))
    conversation.say("hallo")  # the conversation is under way (Rasa knows the portal's token keys)
    fault_stack.portal.server.stop()
    try:
        answer = joined(conversation.say(
            f"het salaris van Emma Visser wordt 69.900 euro per {dutch(first_of_next_month())}"
        ))
    finally:
        fault_stack.portal.server.start()
    # Told plainly, asked to send the name again; no handoff.
    assert UNREACHABLE in answer and "bewaard" in answer and "nog eens" in answer and "servicedesk" not in answer
    # No handoff, nothing forgotten: the summary has the amount and the date given during the outage.
    summary = joined(conversation.say("Emma Visser"))
    assert "69.900,00" in summary and dutch(first_of_next_month()) in summary and SUMMARY_QUESTION in summary
    assert "Doorgegeven" in joined(conversation.say("ja"))
    assert len(salary_changes(fault_stack, "2001686")) == before + 1


def test_after_an_outage_a_no_submits_nothing(fault_stack: FaultStack, fault_chat: Callable[..., Chat]) -> None:
    conversation = fault_chat()
    before = len(salary_changes(fault_stack, "2001681"))
    to_summary(conversation, "2001681", "54.000 euro")
    fault_stack.portal.server.stop()
    try:
        assert UNREACHABLE in joined(conversation.say("ja"))
    finally:
        fault_stack.portal.server.start()
    stopped = joined(conversation.say("nee"))
    assert "Doorgegeven" not in stopped
    assert len(salary_changes(fault_stack, "2001681")) == before


def restarted_between_turns(stack: FaultStack, conversation: Chat, service: Restartable, number: str, amount: str) -> None:
    """A salary change whose first turn reaches one process and whose date reaches it restarted: nothing lost, one change."""
    before = len(salary_changes(stack, number))
    assert "Per welke datum" in joined(conversation.say(f"het salaris van {number} wordt {amount} euro"))
    service.stop()
    service.start()
    summary = joined(conversation.say(f"per {dutch(first_of_next_month())}"))
    assert f"{amount},00" in summary and SUMMARY_QUESTION in summary
    assert "Doorgegeven" in joined(conversation.say("ja"))
    assert len(salary_changes(stack, number)) == before + 1


def test_the_action_server_restarting_mid_conversation_loses_nothing(
    fault_stack: FaultStack, fault_chat: Callable[..., Chat]
) -> None:
    restarted_between_turns(fault_stack, fault_chat(), fault_stack.actions, "2001682", "64.250")


def test_rasa_restarting_mid_conversation_loses_nothing(fault_stack: FaultStack, fault_chat: Callable[..., Chat]) -> None:
    """The conversation lives in the SQL tracker store, not in the Rasa process."""
    restarted_between_turns(fault_stack, fault_chat(), fault_stack.rasa, "2001683", "48.300")


PARTNER_BSN = "111222333"
PARTNER_BSN_SPACED = "111 222 333"


def participant_without_partner(stack: FaultStack) -> tuple[str, str]:
    """A fixed demo participant with no partner yet: (number, full name)."""
    names = {"2001681": "Gerrit ter Assob", "2001682": "Piet Jansen", "2001683": "Anna Jansen",
             "2001685": "Sanne Bakker", "2001686": "Emma Visser"}
    portal = stack.portal
    with portal.client() as client:
        for number, name in names.items():
            detail = client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()
            if not any(m["relation"] == "partner" for m in detail["family_members"]):
                return number, name
    pytest.fail("every fixed demo participant has a partner already")


def test_a_bsn_typed_in_the_chat_is_stored_nowhere_in_full(fault_stack: FaultStack, fault_chat: Callable[..., Chat]) -> None:
    """After registering a partner and asking for a person: the tracker store, every log, the handoff
    transcript and the audit log hold the BSN masked; only the family member's own record holds it."""
    number, name = participant_without_partner(fault_stack)
    conversation = fault_chat()
    conversation.say(f"{name} heeft een nieuwe partner")
    conversation.say("Lisa de Boer")
    conversation.say("3 mei 1990")
    summary = joined(conversation.say(f"zijn BSN is {PARTNER_BSN_SPACED}"))
    assert "*****2333" in summary and PARTNER_BSN not in summary
    assert "Doorgegeven" in joined(conversation.say("ja"))
    assert "servicedesk" in joined(conversation.say("ik wil een medewerker spreken"))

    portal = fault_stack.portal
    with portal.client() as client:
        members = client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()["family_members"]
        handoffs = client.get("/api/handoffs", params={"status": "open"}, headers=portal.headers("desk.agent")).json()
    assert [m["bsn_masked"] for m in members if m["relation"] == "partner"] == ["*****2333"]
    (handoff,) = [h for h in handoffs if h["conversation_id"] == conversation.sender]
    with portal.client() as client:
        detail = client.get(f"/api/handoffs/{handoff['id']}", headers=portal.headers("desk.agent"))
    assert "*****2333" in detail.text and PARTNER_BSN not in detail.text

    # The tracker store holds the conversation (so this is not an empty file passing by accident), masked.
    rows = sqlite3.connect(fault_stack.tracker_db).execute(
        "SELECT data FROM events WHERE sender_id = ?", (conversation.sender,)
    ).fetchall()
    assert any("*****2333" in data for (data,) in rows) and any("Lisa de Boer" in data for (data,) in rows)
    found_in = []
    for path in [fault_stack.tracker_db, *fault_stack.workdir.glob("tracker.db-*"), *fault_stack.workdir.glob("*.log"),
                 portal.server.log_path]:
        raw = path.read_bytes()
        if PARTNER_BSN.encode() in raw or PARTNER_BSN_SPACED.encode() in raw:
            found_in.append(path.name)
    # The portal's database: every text column of every table, the audit log and the handoff transcript included.
    database = sqlite3.connect(portal.database)
    for (table,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for column in database.execute(f"PRAGMA table_info('{table}')").fetchall():
            name_of_column = column[1]
            hits = database.execute(
                f"SELECT count(*) FROM \"{table}\" WHERE CAST(\"{name_of_column}\" AS TEXT) LIKE ?",  # noqa: S608
                (f"%{PARTNER_BSN}%",),
            ).fetchone()[0]
            if hits and (table, name_of_column) != ("family_member", "bsn"):
                found_in.append(f"{table}.{name_of_column}")
    assert found_in == []
    assert database.execute("SELECT count(*) FROM family_member WHERE bsn = ?", (PARTNER_BSN,)).fetchone()[0] == 1


def json_lines(text: str) -> list[dict]:
    """The JSON log lines of a process's output (Python's start-up warnings before our code loads are not)."""
    lines = []
    for raw in text.splitlines():
        if raw.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                lines.append(json.loads(raw))
    return lines


def test_rasas_own_log_lines_are_json_once_our_code_is_loaded(
    fault_stack: FaultStack, fault_chat: Callable[..., Chat]
) -> None:
    """From the first line of ours on, every line Rasa writes (its own included) is one JSON object.

    Each start of Rasa on its own: other tests of the fault stack restart it, and a new process
    prints Python's start-up warnings again before our code is loaded.
    """
    conversation = fault_chat()
    conversation.say("wat verdient 2001681?")
    plain, loggers = [], set()
    for start, text in enumerate(fault_stack.rasa.log_texts(), start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        first_json = next(index for index, line in enumerate(lines) if line.startswith("{"))
        for line in lines[first_json:]:
            try:
                loggers.add(json.loads(line)["logger"])
            except json.JSONDecodeError:
                plain.append(f"start {start}: {line}")
    assert plain == []
    assert any(name.startswith("rasa.") for name in loggers), loggers  # Rasa's own lines, not only ours


def test_one_turn_can_be_followed_through_rasa_the_actions_and_the_portal(
    fault_stack: FaultStack, fault_chat: Callable[..., Chat]
) -> None:
    conversation = fault_chat()
    request_id = f"turn-{uuid.uuid4().hex[:12]}"
    answer = httpx.post(
        f"{fault_stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": conversation.sender, "message": "wat verdient 2001681?", "metadata": {"token": conversation.token}},
        headers={"X-Request-ID": request_id},
        timeout=60,
    )
    assert answer.status_code == 200 and "52.242,28" in answer.text
    rasa = [line for line in json_lines(fault_stack.rasa.log_text()) if line.get("request_id") == request_id]
    actions = [line for line in json_lines(fault_stack.actions.log_text()) if line.get("request_id") == request_id]
    portal_log = fault_stack.portal.server.log_path.read_text()
    portal = [line for line in json_lines(portal_log) if line.get("request_id") == request_id]
    assert [line["message"] for line in rasa] == ["message received"]
    assert rasa[0]["conversation_id"] == conversation.sender
    assert {line["path"] for line in actions} >= {"/api/participants/2001681"}
    assert {line["path"] for line in portal} >= {"/api/participants/2001681"}
    # No token, no password in any process's log, after every test of this module.
    for text in (fault_stack.rasa.log_text(), fault_stack.actions.log_text(), portal_log):
        assert "eyJ" not in text and "Pensioen-Demo-2026!" not in text
