"""A FAQ question in the middle of a form is answered with the FaqSelector's pick, then the question again."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateTerminationForm, interruption_response


def _tracker(intent: str, confidence: float, selected: str | None) -> Tracker:
    message: dict = {"text": "hoe ver vooruit mag de datum liggen", "intent": {"name": intent, "confidence": confidence},
                     "entities": [{"entity": "language", "value": "nl"}]}
    if selected:
        message["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": {"utter_action": selected, "confidence": 0.97, "intent_response_key": "faq/x"},
                    "ranking": []},
        }
    return Tracker(
        sender_id="c1",
        slots={"language": "nl", "requested_slot": "effective_date", "participant": "2001685"},
        latest_message=message,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "termination_form"},
        latest_action_name="action_listen",
    )


def test_a_faq_question_gets_the_selected_answer() -> None:
    tracker = _tracker("faq", 0.95, "utter_faq/change_horizon")
    assert interruption_response(tracker, "faq") == "utter_faq/change_horizon"


def test_without_a_selection_there_is_no_faq_answer() -> None:
    assert interruption_response(_tracker("faq", 0.95, None), "faq") is None


def test_the_form_answers_and_asks_its_question_again() -> None:
    dispatcher = CollectingDispatcher()
    tracker = _tracker("faq", 0.95, "utter_faq/change_horizon")
    events = asyncio.run(ValidateTerminationForm().run(dispatcher, tracker, {"forms": {}}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq/change_horizon"]
    # Clearing the slot it asked for makes the form ask the same question again.
    assert [(e["name"], e["value"]) for e in events] == [("effective_date", None)]

