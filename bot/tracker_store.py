"""Tracker stores that never store a BSN in full.

Whatever a user types is kept with the conversation: the message text, the entities found in it,
the slots filled from it. A BSN typed in the chat (a partner's or a child's) must not reach the
store in full (issue 8; the law allows processing it only where needed, and the portal is that
place). These stores mask every BSN-like number in the events they are given ("*****6782", the
same masking as the handoff transcript) before writing them. The conversation in memory during the
turn still has the full message, so the form can take the BSN; the form keeps it sealed
(actions/sealed.py), and sealed values are left as they are.

Use in endpoints.yml:

    tracker_store:
      type: bot.tracker_store.MaskingSQLTrackerStore   # the SQL store's own options follow
    # or, without a database: type: bot.tracker_store.MaskingInMemoryTrackerStore
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from actions.parsing.bsn import mask_bsns_in
from actions.sealed import is_sealed

# Identifiers, not text anybody typed: hexadecimal ids easily hold a run of eight or nine digits.
UNMASKED_KEYS = frozenset({"message_id", "model_id", "assistant_id", "sender_id", "conversation_id", "timestamp"})


def mask_bsns_deep(value: Any) -> Any:
    """The value with every BSN-like number in its strings masked; ids and sealed values unchanged."""
    if isinstance(value, str):
        return value if is_sealed(value) else mask_bsns_in(value)
    if isinstance(value, dict):
        return {key: item if key in UNMASKED_KEYS else mask_bsns_deep(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_bsns_deep(item) for item in value]
    return value


def masked_event(event: Event) -> Event:
    """A copy of the event with its BSNs masked."""
    return Event.from_parameters(mask_bsns_deep(event.as_dict()))


class MaskingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (PostgreSQL, SQLite, ...), writing every event with its BSNs masked."""

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events not stored yet, masked (Rasa's save() writes what this returns)."""
        return (masked_event(event) for event in super()._additional_events(session, tracker))


class MaskingInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory tracker store, holding the conversation with its BSNs masked."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the masked conversation (the turn in progress keeps its own, unmasked, copy)."""
        await self.stream_events(tracker)
        dialogue = json.loads(self.serialise_tracker(tracker))
        dialogue["events"] = mask_bsns_deep(dialogue["events"])
        self.store[tracker.sender_id] = json.dumps(dialogue)
