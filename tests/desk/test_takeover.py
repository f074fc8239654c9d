"""A Finance user's termination is handed over; desk.agent takes over; the pause holds until it is given back."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests import rasa_api
from tests.conftest import Chat
from tests.desk.conftest import Desk, rasa_tracker


def _new_session(rasa_url: str, portal: object, conversation_id: str) -> None:
    # What happens when a session expires (after an hour): Rasa runs action_session_start before the next message.
    answer = httpx.post(
        f"{rasa_url}/conversations/{conversation_id}/execute",
        json={"name": "action_session_start"},
        headers=rasa_api.headers(portal, conversation_id),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text


class LivePane:
    """What the console's live pane shows: it polls the messages endpoint with the cursor of its previous poll."""

    def __init__(self, desk: Desk, handoff_id: int) -> None:
        self.desk, self.handoff_id, self.cursor = desk, handoff_id, 0.0
        self.messages: list[tuple[str, str]] = []

    def poll(self) -> list[tuple[str, str]]:
        answer = self.desk.messages(self.handoff_id, after=self.cursor)
        self.cursor = answer["cursor"]
        self.messages += [(m["sender"], m["text"]) for m in answer["messages"]]
        return self.messages


def test_a_colleague_takes_over_and_gives_back(
    chat: Callable[..., Chat], desk: Desk, rasa_url: str, portal: object
) -> None:
    conversation = chat("demo.finance")
    assert "servicedesk" in " ".join(conversation.say("ter Assob gaat per eind volgende maand uit dienst"))
    handoff = desk.open_handoff_of(conversation.sender)
    assert (handoff["reason"], handoff["desk_state"], handoff["requested_by"]) == ("forbidden", "waiting", "demo.finance")

    assert desk.take(handoff["id"]).status_code == 200
    pane = LivePane(desk, handoff["id"])
    assert pane.poll()[-1] == ("bot", "Een medewerker van de servicedesk helpt u nu verder.")
    assert conversation.say("Is er al iemand?") == []
    assert pane.poll()[-1] == ("user", "Is er al iemand?")

    # Neither the user's "/restart" (text for us) nor a new session ends the pause.
    assert conversation.say("/restart") == []
    assert pane.poll()[-1] == ("user", "restart")
    _new_session(rasa_url, portal, conversation.sender)
    tracker = rasa_tracker(rasa_url, portal, conversation.sender)
    events = [e["event"] for e in tracker["events"]]
    newest_session = len(events) - 1 - events[::-1].index("session_started")
    assert events.count("session_started") >= 2 and "pause" in events[newest_session:]
    assert tracker["paused"] is True
    assert conversation.say("hallo") == []
    assert pane.poll()[-1] == ("user", "hallo")

    reply = "Ik ben Daan van de servicedesk. Alleen HR kan een uitdiensttreding doorgeven; ik zet het door."
    assert desk.reply(handoff["id"], reply).status_code == 204
    assert reply in [e.get("text") for e in rasa_tracker(rasa_url, portal, conversation.sender)["events"]]
    assert pane.poll()[-1] == ("agent", reply)

    assert desk.give_back(handoff["id"]).status_code == 200
    assert conversation.say("hallo") != []  # the assistant answers again
    assert ("bot", "De assistent neemt het weer over.") in pane.poll()
    assert [text for sender, text in pane.messages if sender == "user"] == ["Is er al iemand?", "restart", "hallo", "hallo"]


def test_after_giving_back_the_assistant_answers_at_once(chat: Callable[..., Chat], desk: Desk) -> None:
    # The handoff action ends its turn paused (no action_listen); giving back must end that turn.
    conversation = chat("demo.finance")
    conversation.say("ter Assob gaat per eind volgende maand uit dienst")
    handoff = desk.open_handoff_of(conversation.sender)
    assert desk.take(handoff["id"]).status_code == 200
    assert conversation.say("Is er al iemand?") == []
    assert desk.give_back(handoff["id"]).status_code == 200
    assert conversation.say("hallo") != []
