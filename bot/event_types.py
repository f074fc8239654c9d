"""Rasa's event lookup by type name, remembered instead of searched for every event.

Rasa 3.6 turns every stored or received event back into an object with `Event.resolve_by_type`,
which walks the whole tree of Event subclasses (recursively, with `inspect.isabstract` on each) for
every single event. Each turn reads the conversation back from the tracker store, so under load
(bench/turns_bench.py with py-spy, 20 users) that walk was about 12 % of the Rasa process's CPU.

This remembers each type name's class once found. A name not found yet is searched for as Rasa
does, so an event class imported later is still found, and what Rasa answers for an unknown name
(None for the old "topic", the default, or a ValueError) is unchanged.
"""

from __future__ import annotations

from rasa.shared.core.events import Event

_rasas_resolve_by_type = Event.resolve_by_type
_found: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """What `Event.resolve_by_type` answers, from memory once a name has been found."""
    found = _found.get(type_name)
    if found is not None:
        return found
    # Without the default: only a class actually found by its name is remembered.
    try:
        found = _rasas_resolve_by_type(type_name)
    except ValueError:
        if default is not None:
            return default
        raise
    if found is not None:
        _found[type_name] = found
    return found


def install() -> None:
    """Makes this process's Rasa look events up through `resolve_by_type`."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
