"""A Teams turn can be followed through the logs: one request id in Rasa's, the actions' and the portal's lines,
as in the REST and Socket.IO channels; and what Rasa stores of it holds no token."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import uuid
from pathlib import Path

import httpx

from tests.teams.conftest import TeamsAssistant, texts


def json_lines(path: Path) -> list[dict]:
    """The JSON log lines of a process's output (Rasa's own lines are plain text)."""
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                lines.append(json.loads(raw))
    return lines


def with_id(path: Path, request_id: str) -> list[dict]:
    return [line for line in json_lines(path) if line.get("request_id") == request_id]


def conversation_of(teams: TeamsAssistant, aad_object_id: str) -> str:
    """The portal's conversation id (the chat token's `sid`) of a linked Teams user."""
    with sqlite3.connect(teams.portal.database) as db:
        (conversation_id,) = db.execute(
            "SELECT conversation_id FROM teams_link WHERE aad_object_id = ?", (aad_object_id,)
        ).fetchone()
    return conversation_id


def test_one_teams_turn_can_be_followed_through_rasa_the_actions_and_the_portal(teams: TeamsAssistant) -> None:
    user = teams.user("Rik Verzoek")
    assert "Gekoppeld aan" in texts(teams.link(user, "demo.hr"))
    request_id = f"teams-{uuid.uuid4().hex[:12]}"
    assert "52.242,28" in texts(teams.say(user, "wat verdient 2001681?", request_id=request_id))
    conversation_id = conversation_of(teams, user.aad_object_id)  # set by the turn's chat token

    rasa = with_id(teams.logs["rasa"], request_id)
    assert [(line["message"], line["channel"], line["conversation_id"]) for line in rasa] == [
        ("message received", "botframework", conversation_id)
    ]
    assert {line["path"] for line in with_id(teams.logs["actions"], request_id)} >= {"/api/participants/2001681"}
    # The connector's own call for the chat token, and the actions' lookup with it.
    assert {line["path"] for line in with_id(teams.logs["portal"], request_id)} >= {
        "/api/channels/teams/chat-token", "/api/participants/2001681"
    }

    # Rasa's message id is the request id; the stored conversation holds no token.
    tracker = httpx.get(f"{teams.rasa_url}/conversations/{conversation_id}/tracker", params={"include_events": "ALL"},
                        headers=teams.api_headers(), timeout=30)
    assert tracker.status_code == 200, tracker.text
    (message,) = [e for e in tracker.json()["events"] if e["event"] == "user" and e["text"] == "wat verdient 2001681?"]
    assert message["message_id"] == request_id and "token" not in (message.get("metadata") or {})
    assert "eyJ" not in tracker.text


def test_a_teams_turn_without_a_request_id_gets_a_new_one(teams: TeamsAssistant) -> None:
    user = teams.user("Rik Zonder")
    teams.link(user, "demo.um")
    for message in ("hallo", "hallo"):
        assert teams.say(user, message, request_id="not a valid id: spaces and more"), "the assistant answers"
    conversation_id = conversation_of(teams, user.aad_object_id)
    received = [line for line in json_lines(teams.logs["rasa"])
                if line.get("message") == "message received" and line.get("conversation_id") == conversation_id]
    ids = [line["request_id"] for line in received]
    assert len(ids) == 2 and ids[0] != ids[1] and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids), ids
    # No token in Rasa's log, after every Teams test so far.
    assert "eyJ" not in teams.logs["rasa"].read_text(errors="replace")
