"""Checks the action server's answers against Rasa's schema with a validator built once.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result`). That call first checks the schema itself and resolves its
`$ref`s, every time: under load (bench/turns_bench.py with py-spy, 20 users) it was 40 % of the Rasa
process's CPU, about 20 ms per action call against under 2 ms for the same check with a validator
built once. The answer is still checked against the same schema and a bad answer still raises the
same `ValidationError` with Rasa's own hint; only the schema is no longer checked on every call.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@cache
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """What `RemoteAction._validate_action_result` does, with the validator built once."""
    error: ValidationError | None = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Makes every RemoteAction of this Rasa process use the validator built once."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
