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
