"""The Rasa process checks the action server's answers with a validator built once (bot/action_validation.py)."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import bot.channels  # noqa: F401  (importing the channels installs the check, as at Rasa's start-up)
from bot.action_validation import validate_action_result

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "nl"}], "responses": [{"response": "utter_greet"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
    {},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"name": "language", "value": "nl"}]},  # an event without its type
    {"events": [{"event": "slot", "name": 3}]},
    {"responses": "utter_greet"},
    [],
]


def test_rasa_uses_the_validator_built_once() -> None:
    assert RemoteAction._validate_action_result is validate_action_result


@pytest.mark.parametrize("answer", GOOD)
def test_a_valid_answer_passes_as_with_rasas_own_check(answer: dict) -> None:
    jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    assert RemoteAction("action_x", None)._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", BAD)
def test_an_invalid_answer_is_refused_as_with_rasas_own_check(answer: object) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(answer)


def every_kind_of_event() -> list[dict]:
    """One event of each type the action server can send (rasa_sdk's own constructors)."""
    from datetime import datetime

    from rasa_sdk import events as e

    return [
        e.SlotSet("language", "nl"), e.SlotSet("amount", 52242.28), e.AllSlotsReset(), e.Restarted(),
        e.UserUttered("hallo", {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}),
        e.BotUttered("Hallo!", {"buttons": [{"title": "ja", "payload": "/affirm"}]}),
        e.ReminderScheduled("EXTERNAL_x", datetime(2027, 1, 1), name="r1"), e.ReminderCancelled(name="r1"),
        e.ActionReverted(), e.UserUtteranceReverted(), e.StoryExported(), e.FollowupAction("action_listen"),
        e.ConversationPaused(), e.ConversationResumed(), e.ActionExecuted("action_x"),
        e.ActionExecutionRejected("action_x"), e.ActiveLoop("termination_form"), e.ActiveLoop(None),
        e.LoopInterrupted(True), e.FormValidation(False), e.Form("termination_form"), e.SessionStarted(),
        e.AgentUttered("hi"),
    ]


def broken_copies(event: dict) -> list[dict]:
    """The event with each of its fields given a value of another type, and with an unknown type."""
    copies = [{**event, "event": "no_such_event"}, {**event, "event": 7}]
    for key in event:
        for wrong in (17, "text", [1], {"a": 1}, None, True):
            copies.append({**event, key: wrong})
    return copies


def test_the_fast_check_accepts_exactly_what_rasas_schema_accepts() -> None:
    from bot.action_validation import _validator, is_valid_fast

    events = every_kind_of_event()
    answers = [{"events": [event]} for event in events] + [{"events": events, "responses": [{"text": "x"}]}]
    answers += [{"events": [broken]} for event in events for broken in broken_copies(event)]
    answers += [{"events": [events[0], broken]} for broken in broken_copies(events[4])]
    verdicts = [(is_valid_fast(answer), _validator().is_valid(answer)) for answer in answers]
    assert [answer for answer, (fast, whole) in zip(answers, verdicts, strict=True) if fast != whole] == []
    # Both kinds are in the corpus, so the comparison means something.
    assert sum(whole for _, whole in verdicts) > 30 and sum(not whole for _, whole in verdicts) > 100
