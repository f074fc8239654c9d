"""A new session keeps a conversation paused while the service desk has it (actions/session.py)."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart


def _events(paused: bool) -> list[str]:
    tracker = Tracker("c1", {"language": "nl"}, {}, [], paused, None, {}, None)
    return [e["event"] for e in asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker, {}))]


def test_a_paused_conversation_stays_paused_in_the_new_session() -> None:
    events = _events(paused=True)
    assert events.index("pause") > events.index("session_started")
    assert events[-1] == "action"  # and then listens


def test_an_active_conversation_is_not_paused() -> None:
    assert "pause" not in _events(paused=False)
