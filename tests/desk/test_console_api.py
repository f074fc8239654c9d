"""The service desk's console API against the real assistant: take over, reply, give back, resolve, and who may."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import httpx
import pytest

from tests.conftest import Chat
from tests.desk.conftest import Desk, bot_texts, rasa_tracker

# Passes the elfproef; used by no other test, so the portal's database can be searched for it.
BSN = "123456782"
MASKED = "*****6782"


def _handoff_of_a_new_conversation(chat, username: str = "demo.finance", **changes: object) -> tuple[Chat, int]:
    """A conversation with the assistant, handed over through the portal as the assistant does it (chat token)."""
    conversation = chat(username)
    assert conversation.say("hallo")
    body = {
        "conversation_id": conversation.sender,
        "channel": "chat",
        "reason": "user_request",
        "language": "nl",
        "transcript": [{"sender": "user", "text": "hallo", "timestamp": datetime.now(timezone.utc).isoformat()}],
        **changes,
    }
    with conversation.portal.client() as client:
        created = client.post("/api/handoffs", json=body, headers={"Authorization": f"Bearer {conversation.token}"})
    assert created.status_code == 201, created.text
    return conversation, created.json()["id"]


@pytest.fixture
def handed_over(chat) -> tuple[Chat, int]:
    return _handoff_of_a_new_conversation(chat)


def test_taking_over_silences_the_assistant_and_tells_the_user(
    handed_over: tuple[Chat, int], desk: Desk, rasa_url: str, portal: object
) -> None:
    conversation, handoff_id = handed_over
    assert desk.handoff(handoff_id)["desk_state"] == "waiting"
    taken = desk.take(handoff_id)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["desk_state"], taken.json()["taken_by"]) == ("taken", "desk.agent")
    assert desk.take(handoff_id).status_code == 200  # taking it again changes nothing
    listed = desk.open_handoff_of(conversation.sender)
    assert (listed["taken_by"], listed["reason"], listed["channel"], listed["language"]) == (
        "desk.agent", "user_request", "chat", "nl"
    )
    tracker = rasa_tracker(rasa_url, portal, conversation.sender)
    assert tracker["paused"] is True
    assert bot_texts(tracker).count("Een medewerker van de servicedesk helpt u nu verder.") == 1
    assert conversation.say("hallo?") == []


def test_only_the_colleague_who_took_it_over_talks_to_the_user(
    handed_over: tuple[Chat, int], desk: Desk, colleague: Desk
) -> None:
    _, handoff_id = handed_over
    assert desk.take(handoff_id).status_code == 200
    refused = {
        "take": colleague.take(handoff_id),
        "reply": colleague.reply(handoff_id, "Ik neem het over."),
        "give back": colleague.give_back(handoff_id),
        "resolve": colleague.resolve(handoff_id),
    }
    assert {name: answer.status_code for name, answer in refused.items()} == dict.fromkeys(refused, 409)
    assert refused["take"].json()["errors"] == [
        {"code": "taken_by_other", "field": None, "message": "desk.agent heeft dit gesprek overgenomen."}
    ]
    english = colleague.call("POST", f"/api/handoffs/{handoff_id}/take", language="en")
    assert english.json()["errors"][0]["message"] == "desk.agent has taken over this conversation."
    assert colleague.messages(handoff_id)["taken_by"] == "desk.agent"  # reading along is fine
    assert desk.handoff(handoff_id)["desk_state"] == "taken"


def test_a_reply_needs_the_conversation_taken_over_first(handed_over: tuple[Chat, int], desk: Desk) -> None:
    _, handoff_id = handed_over
    answer = desk.reply(handoff_id, "Hallo!")
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["code"] == "not_taken"
    assert desk.take(handoff_id).status_code == 200
    blank = desk.reply(handoff_id, "   ")
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "text"


def test_the_console_reads_the_conversation_live_with_bsns_masked(
    handed_over: tuple[Chat, int], desk: Desk, rasa_url: str, portal: object
) -> None:
    conversation, handoff_id = handed_over
    assert desk.take(handoff_id).status_code == 200
    first = desk.messages(handoff_id)
    assert [m["sender"] for m in first["messages"]] == ["bot"]  # the take-over notice; "hallo" was before the handoff
    assert conversation.say(f"Mijn BSN is {BSN}") == []
    newer = desk.messages(handoff_id, after=first["cursor"])
    assert [(m["sender"], m["text"]) for m in newer["messages"]] == [("user", f"Mijn BSN is {MASKED}")]
    assert newer["paused"] is True
    reply = "Ik kijk het voor u na."
    assert desk.reply(handoff_id, reply).status_code == 204
    latest = desk.messages(handoff_id, after=newer["cursor"])
    assert [(m["sender"], m["text"]) for m in latest["messages"]] == [("agent", reply)]
    (sent,) = [e for e in rasa_tracker(rasa_url, portal, conversation.sender)["events"] if e.get("text") == reply]
    assert (sent["event"], sent["metadata"]["sent_by"]) == ("bot", "service_desk")
    assert BSN not in str(desk.messages(handoff_id))
    stored = b"".join(path.read_bytes() for path in portal.data_dir.glob("portal.db*"))
    assert reply.encode() not in stored and BSN.encode() not in stored  # the audit says what was done, not what was said


def test_giving_back_lets_the_assistant_answer_again(
    handed_over: tuple[Chat, int], desk: Desk, rasa_url: str, portal: object
) -> None:
    conversation, handoff_id = handed_over
    assert desk.take(handoff_id).status_code == 200
    assert conversation.say(f"Is er al iemand? Mijn BSN is {BSN}") == []  # unanswered while paused
    given_back = desk.give_back(handoff_id)
    assert given_back.status_code == 200, given_back.text
    assert (given_back.json()["desk_state"], given_back.json()["taken_by"]) == ("given_back", None)
    assert given_back.json()["status"] == "open"
    tracker = rasa_tracker(rasa_url, portal, conversation.sender)
    assert tracker["paused"] is False
    assert bot_texts(tracker)[-1] == "De assistent neemt het weer over."
    assert conversation.say("hallo") != []
    again = desk.give_back(handoff_id)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "already_given_back"
    assert desk.reply(handoff_id, "Nog iets?").status_code == 409


def test_a_new_request_after_giving_back_waits_in_the_queue_again(chat, desk: Desk) -> None:
    conversation, handoff_id = _handoff_of_a_new_conversation(chat, "demo.hr")
    assert desk.take(handoff_id).status_code == 200
    assert desk.give_back(handoff_id).status_code == 200
    before = desk.handoff(handoff_id)
    time.sleep(1)
    body = {
        "conversation_id": conversation.sender,
        "channel": "chat",
        "reason": "not_understood",
        "language": "nl",
        "transcript": [{"sender": "user", "text": "??", "timestamp": datetime.now(timezone.utc).isoformat()}],
    }
    with conversation.portal.client() as client:
        again = client.post("/api/handoffs", json=body, headers={"Authorization": f"Bearer {conversation.token}"})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == handoff_id
    waiting = desk.open_handoff_of(conversation.sender)
    assert (waiting["desk_state"], waiting["taken_by"], waiting["reason"]) == ("waiting", None, "not_understood")
    assert waiting["created_at"] > before["created_at"]  # it waits from now on


def test_resolving_a_paused_conversation_gives_it_back(
    handed_over: tuple[Chat, int], desk: Desk, rasa_url: str, portal: object
) -> None:
    conversation, handoff_id = handed_over
    assert desk.take(handoff_id).status_code == 200
    resolved = desk.resolve(handoff_id, "Uitgelegd dat HR de uitdiensttreding doorgeeft.")
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["desk_state"]) == ("resolved", "resolved")
    assert resolved.json()["returned_at"] is not None
    tracker = rasa_tracker(rasa_url, portal, conversation.sender)
    assert tracker["paused"] is False
    assert bot_texts(tracker)[-1] == "De assistent neemt het weer over."
    assert conversation.say("hallo") != []
    after = {"take": desk.take(handoff_id), "reply": desk.reply(handoff_id, "x"), "give back": desk.give_back(handoff_id)}
    assert {name: a.status_code for name, a in after.items()} == dict.fromkeys(after, 409)


def test_an_english_conversation_is_given_back_in_english(chat, desk: Desk, rasa_url: str, portal: object) -> None:
    conversation, handoff_id = _handoff_of_a_new_conversation(chat, "demo.hr", language="en")
    assert desk.take(handoff_id).status_code == 200
    assert desk.give_back(handoff_id).status_code == 200
    texts = bot_texts(rasa_tracker(rasa_url, portal, conversation.sender))
    assert texts[-2:] == ["A colleague of the service desk is now helping you.", "The assistant is back."]


def test_employer_users_reach_none_of_it(handed_over: tuple[Chat, int], portal: object) -> None:
    conversation, handoff_id = handed_over
    for auth in (portal.headers("demo.finance"), {"Authorization": f"Bearer {conversation.token}"}):
        with portal.client() as client:
            answers = [
                client.post(f"/api/handoffs/{handoff_id}/take", headers=auth),
                client.get(f"/api/handoffs/{handoff_id}/messages", headers=auth),
                client.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "hoi"}, headers=auth),
                client.post(f"/api/handoffs/{handoff_id}/give-back", headers=auth),
            ]
        assert [a.status_code for a in answers] == [403] * 4
    assert httpx.get(f"{portal.url}/api/handoffs/{handoff_id}/messages").status_code == 401
