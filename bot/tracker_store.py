"""Tracker stores that never store a BSN in full, nor a token.

Whatever a user types is kept with the conversation: the message text, the entities found in it,
the slots filled from it. A BSN typed in the chat (a partner's or a child's) must not reach the
store in full (issue 8; the law allows processing it only where needed, and the portal is that
place). These stores mask every BSN-like number in the events they are given ("*****6782", the
same masking as the handoff transcript) before writing them. The conversation in memory during the
turn still has the full message, so the form can take the BSN; the form keeps it sealed
(actions/sealed.py), and sealed values are left as they are.

Every user message also carries the portal chat token in `metadata.token`, and Rasa copies the
first message's metadata into the `session_started_metadata` slot. A stored token would let whoever
reads the store act as the user on the portal until it expires, so the stores drop every
credential-named key (`token`, `authorization`, ...) and replace anything shaped like a JWT or a
bearer credential with "[removed]". The turn in progress keeps its token (the actions read the
latest message's), and every later message brings its own. No event broker is configured; one
would be sent Rasa's unmasked events.

Use in endpoints.yml:

    tracker_store:
      type: bot.tracker_store.MaskingSQLTrackerStore   # the SQL store's own options follow
    # or, without a database: type: bot.tracker_store.MaskingInMemoryTrackerStore
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from actions.parsing.bsn import mask_bsns_in
from actions.sealed import is_sealed

# Identifiers, not text anybody typed: hexadecimal ids easily hold a run of eight or nine digits.
UNMASKED_KEYS = frozenset({"message_id", "model_id", "assistant_id", "sender_id", "conversation_id", "timestamp"})


# Keys whose values are credentials wherever they appear (the channels put the chat token in `token`).
SECRET_KEYS = frozenset(
    {"token", "access_token", "id_token", "refresh_token", "mfa_token", "authorization", "password",
     "app_password", "client_secret", "secret", "api_key"}
)
# A JWT (header and payload are base64url JSON, so they start with "eyJ"), or a bearer credential.
BEARER_LIKE = re.compile(
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{16,}"
)
REMOVED = "[removed]"


def without_tokens(text: str) -> str:
    """The text with every JWT or bearer credential in it replaced by "[removed]"."""
    return BEARER_LIKE.sub(REMOVED, text)


def mask_bsns_deep(value: Any) -> Any:
    """The value with its BSN-like numbers masked and its tokens removed; ids and sealed values unchanged."""
    if isinstance(value, str):
        return value if is_sealed(value) else mask_bsns_in(without_tokens(value))
    if isinstance(value, dict):
        return {
            key: item if key in UNMASKED_KEYS else mask_bsns_deep(item)
            for key, item in value.items()
            if not (isinstance(key, str) and key.lower() in SECRET_KEYS)
        }
    if isinstance(value, list):
        return [mask_bsns_deep(item) for item in value]
    return value


def masked_event(event: Event) -> Event:
    """A copy of the event with its BSNs masked and its tokens removed."""
    return Event.from_parameters(mask_bsns_deep(event.as_dict()))


class MaskingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (PostgreSQL, SQLite, ...), writing every event masked and without tokens."""

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events not stored yet, masked (Rasa's save() writes what this returns)."""
        return (masked_event(event) for event in super()._additional_events(session, tracker))


class MaskingInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory tracker store, holding the conversation masked and without tokens.

    Stored as Rasa stores it (the JSON of `tracker.as_dialogue()`), but a save masks and encodes only
    the events that are new since the last save and appends them, instead of the whole conversation
    every turn (it was about 10 % of the Rasa process's CPU under load).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per conversation: how many events are stored, and the last one's timestamp.
        self._stored: dict[str, tuple[int, float]] = {}

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the masked conversation (the turn in progress keeps its own copy, token included)."""
        await self.stream_events(tracker)
        events = list(tracker.events)
        count, last_timestamp = self._stored.get(tracker.sender_id, (0, 0.0))
        stored = self.store.get(tracker.sender_id)
        # A tracker read back from this store starts with the stored events, so only the rest is new.
        # Any other tracker (only the last session of the conversation, or one made elsewhere) is
        # stored as a whole, as Rasa's own store does.
        extends = (
            stored is not None and 0 < count <= len(events) and events[count - 1].timestamp == last_timestamp
        )
        new = [json.dumps(mask_bsns_deep(event.as_dict())) for event in events[count if extends else 0:]]
        if extends:
            self.store[tracker.sender_id] = stored[: -len("]}")] + "".join(f", {event}" for event in new) + "]}"
        else:
            self.store[tracker.sender_id] = f'{{"name": {json.dumps(tracker.sender_id)}, "events": [{", ".join(new)}]}}'
        self._stored[tracker.sender_id] = (len(events), events[-1].timestamp if events else 0.0)
