"""A session starts in the language the user chose in the portal (the chat token's `lang` claim)."""

from __future__ import annotations

import asyncio

import jwt
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart


def _tracker(claims: dict) -> Tracker:
    token = jwt.encode({"sub": "1", "aud": "chat", "sid": "c1", **claims}, "not-verified-here", algorithm="HS256")
    return Tracker(
        sender_id="c1",
        slots={"language": "nl", "session_started_metadata": {"token": token}},
        latest_message={},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


def _language_events(claims: dict) -> list[dict]:
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), _tracker(claims), {}))
    return [e for e in events if e.get("event") == "slot" and e.get("name") == "language"]


def test_english_preference_starts_in_english() -> None:
    assert [e["value"] for e in _language_events({"lang": "en"})] == ["en"]


def test_without_a_preference_the_language_stays() -> None:
    assert [e["value"] for e in _language_events({})] == ["nl"]
