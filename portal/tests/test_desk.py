"""The service desk's console without a reachable assistant: clear 503s, and nothing changes half-way.

The console against the real assistant is tested in the assistant's suite (tests/desk/).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.server import Portal, free_port, running_portal


def _handoff(portal: Portal, username: str = "demo.finance") -> int:
    with portal.client() as client:
        issued = client.post("/api/chat/token", headers=portal.headers(username)).json()
        body = {
            "conversation_id": issued["conversation_id"],
            "channel": "chat",
            "reason": "user_request",
            "language": "nl",
            "transcript": [{"sender": "user", "text": "Een mens graag.", "timestamp": datetime.now(UTC).isoformat()}],
        }
        created = client.post("/api/handoffs", json=body, headers={"Authorization": f"Bearer {issued['token']}"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.fixture(scope="module")
def portal_with_rasa_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal whose assistant does not answer: nothing listens on its port."""
    extra_env = {"PORTAL_RASA_URL": f"http://127.0.0.1:{free_port()}", "PORTAL_RASA_TIMEOUT_SECONDS": "2"}
    with running_portal(tmp_path_factory.mktemp("rasa-down"), extra_env=extra_env) as running:
        yield running


def test_without_an_assistant_the_live_console_says_so(portal: Portal) -> None:
    handoff_id = _handoff(portal)
    desk = portal.headers("desk.agent")
    with portal.client() as client:
        take = client.post(f"/api/handoffs/{handoff_id}/take", headers=desk)
        read = client.get(f"/api/handoffs/{handoff_id}/messages", headers={**desk, "Accept-Language": "en"})
        state = client.get(f"/api/handoffs/{handoff_id}", headers=desk).json()
    assert take.status_code == read.status_code == 503
    assert take.json()["errors"] == [
        {"code": "assistant_not_connected", "field": None, "message": "Het portaal is niet verbonden met de assistent."}
    ]
    assert read.json()["errors"][0]["message"] == "The portal is not connected to the assistant."
    assert (state["desk_state"], state["taken_by"]) == ("waiting", None)


def test_when_the_assistant_is_down_nothing_is_taken_over(portal_with_rasa_down: Portal) -> None:
    portal = portal_with_rasa_down
    handoff_id = _handoff(portal)
    desk = portal.headers("desk.agent")
    with portal.client() as client:
        dutch = client.post(f"/api/handoffs/{handoff_id}/take", headers=desk)
        english = client.get(f"/api/handoffs/{handoff_id}/messages", headers={**desk, "Accept-Language": "en"})
        resolve = client.post(f"/api/handoffs/{handoff_id}/resolve", json={"note": "Gebeld."}, headers=desk)
        state = client.get(f"/api/handoffs/{handoff_id}", headers=desk).json()
    assert dutch.status_code == english.status_code == resolve.status_code == 503
    assert dutch.json()["errors"] == [
        {
            "code": "assistant_unavailable",
            "field": None,
            "message": "De assistent is nu niet bereikbaar. Probeer het over een moment opnieuw.",
        }
    ]
    assert english.json()["errors"][0]["message"] == (
        "The assistant cannot be reached right now. Please try again in a moment."
    )
    # Resolving would leave the user's conversation paused for good, so it waits until the assistant is back.
    assert (state["status"], state["desk_state"], state["taken_by"], state["resolved_at"]) == (
        "open", "waiting", None, None
    )


def test_a_reply_needs_a_take_over_before_anything_reaches_the_assistant(portal_with_rasa_down: Portal) -> None:
    portal = portal_with_rasa_down
    handoff_id = _handoff(portal, "demo.hr")
    with portal.client() as client:
        reply = client.post(f"/api/handoffs/{handoff_id}/messages", json={"text": "Hallo"}, headers=portal.headers("desk.agent"))
        give_back = client.post(f"/api/handoffs/{handoff_id}/give-back", headers=portal.headers("desk.agent"))
    assert reply.status_code == 409
    assert reply.json()["errors"][0] == {
        "code": "not_taken", "field": None, "message": "Neem het gesprek over voordat u antwoordt."
    }
    assert give_back.status_code == 503  # a waiting conversation may be given back, once the assistant answers


@pytest.mark.parametrize("path", ["take", "messages", "give-back"])
def test_an_unknown_handoff_is_404_before_the_assistant_is_asked(portal_with_rasa_down: Portal, path: str) -> None:
    portal = portal_with_rasa_down
    method = "GET" if path == "messages" else "POST"
    with portal.client() as client:
        answer = client.request(method, f"/api/handoffs/999999/{path}", headers=portal.headers("desk.agent"))
    assert answer.status_code == 404
