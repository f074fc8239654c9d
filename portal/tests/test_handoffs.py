"""Handoffs: the assistant hands a conversation to the service desk, which lists, reads and resolves it."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from tests.server import Portal

BSN = "987654317"  # passes the elfproef; used by no other test, so it must appear nowhere in full
BSN_DOTTED = "9876.54.317"
MASKED = "*****4317"
EMPLOYER_USERS = ["demo.um", "demo.hr", "demo.finance", "demo.hrfin"]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _body(conversation_id: str, **changes: object) -> dict:
    return {
        "conversation_id": conversation_id,
        "channel": "chat",
        "reason": "forbidden",
        "language": "nl",
        "summary": f"Wil partner met BSN {BSN} toevoegen bij 2001681",
        "transcript": [
            {"sender": "user", "text": f"Voeg partner toe aan 2001681, BSN {BSN}", "timestamp": _now()},
            {"sender": "bot", "text": "Dat mag u met uw rol niet doen.", "timestamp": _now()},
            {"sender": "user", "text": f"Nogmaals: {BSN_DOTTED}", "timestamp": time.time()},  # Unix seconds, as Rasa
        ],
        **changes,
    }


def _chat(portal: Portal, username: str) -> tuple[dict[str, str], str]:
    """Headers with a fresh chat token of the user, and its conversation id (sid)."""
    with portal.client() as client:
        answer = client.post("/api/chat/token", headers=portal.headers(username))
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}, answer.json()["conversation_id"]


@pytest.fixture
def finance_handoff(portal: Portal) -> dict:
    """An open handoff of demo.finance, made through a chat token as the assistant does."""
    headers, conversation_id = _chat(portal, "demo.finance")
    with portal.client() as client:
        created = client.post("/api/handoffs", json=_body(conversation_id), headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


def test_a_finance_user_is_handed_over_with_every_bsn_masked(portal: Portal, finance_handoff: dict) -> None:
    handoff = finance_handoff
    assert handoff["status"] == "open"
    assert handoff["reason"] == "forbidden"
    assert handoff["channel"] == "chat"
    assert handoff["language"] == "nl"
    assert handoff["employer_name"] == "Voorbeeld Techniek B.V."
    assert handoff["requested_by"] == "demo.finance"
    assert handoff["resolved_at"] is None and handoff["resolved_by"] is None
    assert handoff["summary"] == f"Wil partner met BSN {MASKED} toevoegen bij 2001681"
    texts = [entry["text"] for entry in handoff["transcript"]]
    assert texts == [f"Voeg partner toe aan 2001681, BSN {MASKED}", "Dat mag u met uw rol niet doen.", f"Nogmaals: {MASKED}"]
    assert [entry["sender"] for entry in handoff["transcript"]] == ["user", "bot", "user"]
    stored = b"".join(path.read_bytes() for path in portal.data_dir.glob("portal.db*"))
    assert BSN.encode() not in stored
    assert BSN_DOTTED.encode() not in stored
    assert MASKED.encode() in stored


def test_a_chat_token_hands_over_only_its_own_conversation(portal: Portal) -> None:
    headers, _ = _chat(portal, "demo.finance")
    _, someone_elses = _chat(portal, "demo.hr")
    with portal.client() as client:
        dutch = client.post("/api/handoffs", json=_body(someone_elses), headers=headers)
        english = client.post("/api/handoffs", json=_body(uuid.uuid4().hex), headers={**headers, "Accept-Language": "en"})
    assert dutch.status_code == english.status_code == 403
    assert dutch.json()["errors"] == [
        {"code": "conversation_mismatch", "field": "conversation_id", "message": "U kunt alleen uw eigen gesprek overdragen."}
    ]
    assert english.json()["errors"][0]["message"] == "You can only hand over your own conversation."


def test_an_access_token_cannot_hand_over_another_users_conversation(portal: Portal) -> None:
    _, hr_conversation = _chat(portal, "demo.hr")
    with portal.client() as client:
        refused = client.post("/api/handoffs", json=_body(hr_conversation), headers=portal.headers("demo.um"))
        own = client.post(
            "/api/handoffs", json=_body(uuid.uuid4().hex, channel="portal"), headers=portal.headers("demo.um")
        )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "conversation_mismatch"
    assert own.status_code == 201, own.text
    assert own.json()["channel"] == "portal"


def test_a_second_request_for_an_open_conversation_returns_the_open_handoff(portal: Portal) -> None:
    headers, conversation_id = _chat(portal, "demo.hr")
    with portal.client() as client:
        first = client.post("/api/handoffs", json=_body(conversation_id, reason="rule_blocked"), headers=headers)
        again = client.post("/api/handoffs", json=_body(conversation_id, reason="user_request"), headers=headers)
        listed = client.get("/api/handoffs", params={"status": "open"}, headers=portal.headers("desk.agent")).json()
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert [h["id"] for h in listed if h["conversation_id"] == conversation_id] == [first.json()["id"]]


def test_the_service_desk_lists_reads_and_resolves_a_handoff(portal: Portal, finance_handoff: dict) -> None:
    desk = portal.headers("desk.agent")
    handoff_id = finance_handoff["id"]
    with portal.client() as client:
        open_ones = client.get("/api/handoffs", params={"status": "open"}, headers=desk)
        detail = client.get(f"/api/handoffs/{handoff_id}", headers=desk)
        resolved = client.post(
            f"/api/handoffs/{handoff_id}/resolve", json={"note": f"Gebeld; partner toegevoegd (BSN {BSN})."}, headers=desk
        )
        open_after = client.get("/api/handoffs", params={"status": "open"}, headers=desk).json()
        resolved_after = client.get("/api/handoffs", params={"status": "resolved"}, headers=desk).json()
        everything = client.get("/api/handoffs", headers=desk).json()
    assert open_ones.status_code == 200
    row = next(h for h in open_ones.json() if h["id"] == handoff_id)
    assert row["employer_name"] == "Voorbeeld Techniek B.V."
    assert row["requested_by"] == "demo.finance"
    assert "transcript" not in row  # the list is the queue; the transcript is in the detail
    assert [h["created_at"] for h in open_ones.json()] == sorted((h["created_at"] for h in open_ones.json()), reverse=True)
    assert detail.status_code == 200
    assert detail.json() == finance_handoff
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["resolved_by"] == "desk.agent"
    assert body["resolved_at"] is not None
    assert body["resolution_note"] == f"Gebeld; partner toegevoegd (BSN {MASKED})."
    assert handoff_id not in [h["id"] for h in open_after]
    assert handoff_id in [h["id"] for h in resolved_after]
    assert {h["status"] for h in resolved_after} == {"resolved"}
    assert handoff_id in [h["id"] for h in everything]


def test_resolving_twice_is_a_conflict_in_the_users_language(portal: Portal, finance_handoff: dict) -> None:
    desk = portal.headers("desk.agent")
    url = f"/api/handoffs/{finance_handoff['id']}/resolve"
    with portal.client() as client:
        assert client.post(url, json={"note": "Opgelost."}, headers=desk).status_code == 200
        dutch = client.post(url, json={"note": "Nog eens."}, headers=desk)
        english = client.post(url, json={"note": "Again."}, headers={**desk, "Accept-Language": "en"})
        detail = client.get(f"/api/handoffs/{finance_handoff['id']}", headers=desk).json()
    assert dutch.status_code == english.status_code == 409
    assert dutch.json()["errors"] == [
        {"code": "already_resolved", "field": None, "message": "Deze overdracht is al afgehandeld door desk.agent."}
    ]
    assert english.json()["errors"][0]["message"] == "This handoff has already been resolved by desk.agent."
    assert detail["resolution_note"] == "Opgelost."


def test_a_resolved_conversation_can_be_handed_over_again(portal: Portal) -> None:
    headers, conversation_id = _chat(portal, "demo.finance")
    desk = portal.headers("desk.agent")
    with portal.client() as client:
        first = client.post("/api/handoffs", json=_body(conversation_id), headers=headers).json()
        client.post(f"/api/handoffs/{first['id']}/resolve", json={"note": "Geholpen."}, headers=desk)
        second = client.post("/api/handoffs", json=_body(conversation_id, reason="not_understood"), headers=headers)
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first["id"]
    assert second.json()["status"] == "open"


def test_the_desk_sees_every_employers_handoffs(portal: Portal) -> None:
    headers, conversation_id = _chat(portal, "other.hr")
    with portal.client() as client:
        created = client.post("/api/handoffs", json=_body(conversation_id, language="en"), headers=headers)
        listed = client.get("/api/handoffs", headers=portal.headers("desk.agent")).json()
    assert created.status_code == 201, created.text
    row = next(h for h in listed if h["id"] == created.json()["id"])
    assert row["employer_name"] == "Andere Werkgever B.V."
    assert row["requested_by"] == "other.hr"
    assert row["language"] == "en"


@pytest.mark.parametrize("username", EMPLOYER_USERS)
def test_employer_users_cannot_handle_the_queue(portal: Portal, finance_handoff: dict, username: str) -> None:
    headers = portal.headers(username)
    chat_headers, _ = _chat(portal, username)
    handoff_id = finance_handoff["id"]
    with portal.client() as client:
        for auth in (headers, chat_headers):
            assert client.get("/api/handoffs", headers=auth).status_code == 403
            assert client.get(f"/api/handoffs/{handoff_id}", headers=auth).status_code == 403
            resolve = client.post(f"/api/handoffs/{handoff_id}/resolve", json={"note": "Klaar."}, headers=auth)
            assert resolve.status_code == 403
            assert resolve.json()["errors"][0]["code"] == "forbidden"


def test_the_service_desk_cannot_hand_over(portal: Portal) -> None:
    with portal.client() as client:
        answer = client.post("/api/handoffs", json=_body(uuid.uuid4().hex), headers=portal.headers("desk.agent"))
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == "forbidden"


def test_without_a_token_every_handoff_endpoint_answers_401(portal: Portal) -> None:
    with portal.client() as client:
        answers = [
            client.post("/api/handoffs", json=_body(uuid.uuid4().hex)),
            client.get("/api/handoffs"),
            client.get("/api/handoffs/1"),
            client.post("/api/handoffs/1/resolve", json={"note": "x"}),
        ]
    assert [a.status_code for a in answers] == [401] * 4


def test_an_unknown_handoff_is_404(portal: Portal) -> None:
    desk = portal.headers("desk.agent")
    with portal.client() as client:
        read = client.get("/api/handoffs/999999", headers=desk)
        resolve = client.post("/api/handoffs/999999/resolve", json={"note": "x"}, headers=desk)
    assert read.status_code == resolve.status_code == 404
    assert read.json()["errors"][0]["code"] == "not_found"


def test_limits_on_the_transcript_are_422_in_the_users_language(portal: Portal) -> None:
    headers, conversation_id = _chat(portal, "demo.finance")
    entry = {"sender": "user", "text": "hallo", "timestamp": _now()}
    with portal.client() as client:
        too_many = client.post("/api/handoffs", json=_body(conversation_id, transcript=[entry] * 201), headers=headers)
        too_long = client.post(
            "/api/handoffs",
            json=_body(conversation_id, transcript=[{**entry, "text": "x" * 2001}]),
            headers={**headers, "Accept-Language": "en"},
        )
        bad_reason = client.post("/api/handoffs", json=_body(conversation_id, reason="bored"), headers=headers)
        bad_sender = client.post(
            "/api/handoffs", json=_body(conversation_id, transcript=[{**entry, "sender": "agent"}]), headers=headers
        )
        at_the_limit = client.post(
            "/api/handoffs", json=_body(conversation_id, transcript=[{**entry, "text": "x" * 2000}] * 200), headers=headers
        )
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == [
        {"code": "too_many_items", "field": "transcript", "message": "Te veel items (maximaal 200)."}
    ]
    assert too_long.status_code == 422
    assert too_long.json()["errors"] == [
        {"code": "too_long", "field": "transcript.0.text", "message": "This text is too long (at most 2000 characters)."}
    ]
    assert bad_reason.status_code == 422
    assert bad_reason.json()["errors"][0]["field"] == "reason"
    assert bad_sender.status_code == 422
    assert bad_sender.json()["errors"][0]["field"] == "transcript.0.sender"
    assert at_the_limit.status_code == 201, at_the_limit.text
    assert len(at_the_limit.json()["transcript"]) == 200


def test_a_resolution_needs_a_note(portal: Portal, finance_handoff: dict) -> None:
    desk = portal.headers("desk.agent")
    url = f"/api/handoffs/{finance_handoff['id']}/resolve"
    with portal.client() as client:
        blank = client.post(url, json={"note": "   "}, headers=desk)
        missing = client.post(url, json={}, headers=desk)
    assert blank.status_code == missing.status_code == 422
    assert blank.json()["errors"] == [{"code": "required", "field": "note", "message": "Dit veld is verplicht."}]
    assert missing.json()["errors"][0]["field"] == "note"


def test_simultaneous_requests_for_one_conversation_make_one_handoff(portal: Portal) -> None:
    headers, conversation_id = _chat(portal, "demo.hrfin")
    with portal.client() as client, ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: client.post("/api/handoffs", json=_body(conversation_id), headers=headers), range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
