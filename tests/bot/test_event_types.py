"""The Rasa process looks events up by type name from memory (bot/event_types.py), with Rasa's answers."""

from __future__ import annotations

import pytest
import rasa.shared.utils.common
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot import event_types


@pytest.fixture()
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(event_types.resolve_by_type))


def test_every_event_type_resolves_to_the_class_rasa_finds() -> None:
    classes = rasa.shared.utils.common.all_subclasses(Event)
    assert len(classes) > 20
    for cls in classes:
        assert event_types.resolve_by_type(cls.type_name) is event_types._rasas_resolve_by_type(cls.type_name)
        assert event_types.resolve_by_type(cls.type_name) is event_types._rasas_resolve_by_type(cls.type_name)


def test_unknown_names_get_rasas_answers() -> None:
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        event_types.resolve_by_type("no_such_event")
    assert event_types.resolve_by_type("no_such_event", ActionExecuted) is ActionExecuted
    assert event_types.resolve_by_type("topic") is None
    assert "no_such_event" not in event_types._found


def test_events_read_back_through_it_are_the_same_events(installed: None) -> None:
    events = [UserUttered("hallo", intent={"name": "greet", "confidence": 1.0}), SlotSet("language", "nl"),
              ActionExecuted("action_listen")]
    assert [Event.from_parameters(event.as_dict()) for event in events] == events
    with pytest.raises(ValueError):
        Event.from_parameters({"event": "no_such_event"})


def test_the_rasa_process_uses_it_once_our_channels_are_loaded() -> None:
    import bot.channels  # noqa: F401  (what Rasa imports at start-up)

    assert Event.resolve_by_type is event_types.resolve_by_type
