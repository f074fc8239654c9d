"""What the actions read from a conversation: the user's token, language, intent, and our slots."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import jwt
from rasa_sdk import Tracker

from actions.api.portal import PortalClient

PARTICIPANT_NUMBER = re.compile(r"(?<!\d)\d{7}(?!\d)")

# Every slot a change conversation fills; reset together when the conversation about it ends.
FORM_SLOTS = (
    "participant",
    "participant_name",
    "participant_query",
    "candidate_count",
    "effective_date",
    "effective_date_display",
    "change_values",
    "new_salary",
    "new_salary_display",
    "new_parttime",
    "new_parttime_display",
    "relation",
    "member_name",
    "member_first_name",
    "member_infix",
    "member_last_name",
    "member_birth_date",
    "member_birth_date_display",
    "member_bsn",
    "member_bsn_display",
    "confirmation",
    "failed_slot",
    "failed_attempts",
    "handoff_reason",
    "portal_message",
    "requested_slot",
)


def language(tracker: Tracker) -> str:
    """The language of the conversation: the `language` slot, Dutch when unset."""
    return "en" if tracker.get_slot("language") == "en" else "nl"


def token(tracker: Tracker) -> str:
    """The portal chat token of the latest message (the channel verified it)."""
    metadata = tracker.latest_message.get("metadata") or {}
    value = metadata.get("token")
    if not value:
        session = tracker.get_slot("session_started_metadata") or {}
        value = session.get("token", "")
    return value or ""


def token_claims(tracker: Tracker) -> dict[str, Any]:
    """The token's claims, read without verification: the channel and the portal verify it."""
    try:
        return jwt.decode(token(tracker), options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {}


def portal(tracker: Tracker) -> PortalClient:
    """A portal client acting as this conversation's user, in their language."""
    # The user message's id, given by the channel: the same id in Rasa's, the actions' and the portal's logs.
    request_id = tracker.latest_message.get("message_id") or tracker.sender_id[:12]
    return PortalClient(token(tracker), language(tracker), request_id=request_id)


def intent(tracker: Tracker) -> tuple[str, float]:
    """The latest message's intent and confidence."""
    data = tracker.latest_message.get("intent") or {}
    return data.get("name") or "", float(data.get("confidence") or 0.0)


def entity_texts(tracker: Tracker, *names: str) -> list[str]:
    """The text of each entity of these types in the latest message, as the user typed it."""
    message = tracker.latest_message
    text = message.get("text") or ""
    found = []
    for entity in message.get("entities") or []:
        if entity.get("entity") in names:
            start, end = entity.get("start"), entity.get("end")
            found.append(text[start:end] if isinstance(start, int) and isinstance(end, int) else str(entity.get("value")))
    return found


def entity_values(tracker: Tracker, name: str) -> list[Any]:
    """The (synonym-mapped) values of one entity type in the latest message."""
    return [e.get("value") for e in tracker.latest_message.get("entities") or [] if e.get("entity") == name]


def today() -> date:
    """Today for the insurer (Europe/Amsterdam), as the portal counts it."""
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def last_form(tracker: Tracker) -> str | None:
    """The form that was active most recently in this conversation."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name"):
            return event["name"]
    return None


def user_intents(tracker: Tracker) -> Iterable[str]:
    """The intents of the user's messages, newest first."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            yield (event.get("parse_data") or {}).get("intent", {}).get("name") or ""
