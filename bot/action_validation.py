"""Checks the action server's answers against Rasa's schema, fast.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result`). Two things made that slow under load
(bench/turns_bench.py with py-spy, 20 users):

- `jsonschema.validate` first checks the schema itself and resolves it, on every call: 40 % of the
  Rasa process's CPU, about 20 ms per action call. The validators here are built once.
- Each event is checked against the schema's `oneOf` of 23 event types, so every event is
  validated 23 times over (about 4 ms for a form's answer even with a validator built once). Every
  branch of that `oneOf` fixes `event` to its own constant, so exactly one branch can match: the
  one named by the event's `event`. The fast check validates each event against the common part of
  the schema and that one branch, which accepts exactly what the `oneOf` accepts.

An answer the fast check does not accept is checked again against Rasa's whole schema, so a bad
answer raises the same `ValidationError` with Rasa's own hint (tests/bot/test_action_validation.py
compares the two checks on valid and broken answers).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


def _built(schema: dict[str, Any]) -> Any:
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@cache
def _validator() -> Any:
    """Rasa's whole schema."""
    return _built(RemoteAction.action_response_format_spec())


@cache
def _fast_validators() -> tuple[Any, dict[str, Any]]:
    """The schema without the events' `oneOf`, and a validator per event type of that `oneOf`."""
    schema = RemoteAction.action_response_format_spec()
    items = schema["properties"]["events"]["items"]
    by_type: dict[str, Any] = {}
    for branch in items["oneOf"]:
        name = branch["properties"]["event"]["const"]  # every branch names its type (a KeyError if not)
        if name in by_type:
            raise ValueError(f"Rasa's action response schema names the event type {name!r} twice")
        by_type[name] = _built(branch)
    common = {key: value for key, value in items.items() if key != "oneOf"}
    outer = {**schema, "properties": {**schema["properties"], "events": {**schema["properties"]["events"], "items": common}}}
    return _built(outer), by_type


def is_valid_fast(result: Any) -> bool:
    """Whether the answer fits Rasa's schema, each event checked against its own type's branch only."""
    outer, by_type = _fast_validators()
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or []:
        branch = by_type.get(event["event"])
        if branch is None or not branch.is_valid(event):
            return False
    return True


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """What `RemoteAction._validate_action_result` does: True, or Rasa's `ValidationError`."""
    if is_valid_fast(result):
        return True
    error: ValidationError | None = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Makes every RemoteAction of this Rasa process use these checks."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
