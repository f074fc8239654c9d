"""The service desk's side of a conversation: its console API on the real portal, as a given colleague."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.rasa_api import tracker as rasa_tracker


@dataclass
class Desk:
    """Calls the portal's service-desk endpoints as one colleague (desk.agent by default)."""

    portal: object
    username: str = "desk.agent"

    def call(self, method: str, path: str, language: str = "nl", **kwargs: object) -> httpx.Response:
        """Any request to the portal with this colleague's access token."""
        with self.portal.client(language) as client:
            return client.request(method, path, headers=self.portal.headers(self.username), **kwargs)

    def handoff(self, handoff_id: int) -> dict:
        answer = self.call("GET", f"/api/handoffs/{handoff_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def open_handoff_of(self, conversation_id: str) -> dict:
        """The open handoff of a conversation (exactly one)."""
        listed = self.call("GET", "/api/handoffs", params={"status": "open"}).json()
        (handoff,) = [h for h in listed if h["conversation_id"] == conversation_id]
        return handoff

    def take(self, handoff_id: int) -> httpx.Response:
        return self.call("POST", f"/api/handoffs/{handoff_id}/take")

    def messages(self, handoff_id: int, after: float = 0) -> dict:
        answer = self.call("GET", f"/api/handoffs/{handoff_id}/messages", params={"after": after})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def reply(self, handoff_id: int, text: str) -> httpx.Response:
        return self.call("POST", f"/api/handoffs/{handoff_id}/messages", json={"text": text})

    def give_back(self, handoff_id: int) -> httpx.Response:
        return self.call("POST", f"/api/handoffs/{handoff_id}/give-back")

    def resolve(self, handoff_id: int, note: str = "Geholpen.") -> httpx.Response:
        return self.call("POST", f"/api/handoffs/{handoff_id}/resolve", json={"note": note})


__all__ = ["Desk", "bot_texts", "rasa_tracker"]


@pytest.fixture
def desk(portal: object) -> Desk:
    return Desk(portal)


@pytest.fixture
def colleague(portal: object) -> Desk:
    return Desk(portal, "desk.colleague")


def bot_texts(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "bot" and e.get("text")]
