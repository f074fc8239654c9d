"""Handing a conversation to a service-desk colleague: explain why, file it in the portal, pause."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.portal import PortalUnavailableError
from actions.conversation import FORM_SLOTS, language, last_form, portal, token_claims, user_intents
from actions.parsing import mask_bsns_in

# What the user is told before the handoff, per reason; the portal's own message where it has one.
EXPLANATIONS = {
    "forbidden": "utter_handoff_forbidden",
    "validation_failed": "utter_handoff_validation_failed",
    "not_understood": "utter_handoff_not_understood",
    "portal_unavailable": "utter_portal_unavailable",
}
PORTAL_EXPLAINS = {"collective_processing", "rule_blocked"}
MAX_TRANSCRIPT_ENTRIES = 200


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    """What user and assistant said, oldest first, every BSN masked."""
    entries = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            timestamp = datetime.fromtimestamp(event.get("timestamp") or 0, timezone.utc).isoformat()
            entries.append({"sender": event["event"], "text": mask_bsns_in(event["text"])[:2000], "timestamp": timestamp})
    return entries[-MAX_TRANSCRIPT_ENTRIES:]


def reason_for(tracker: Tracker) -> str:
    """The reason a validation set, or what the user's latest message asked for."""
    reason = tracker.get_slot("handoff_reason")
    if reason:
        return reason
    latest = next(iter(user_intents(tracker)), "")
    return "not_understood" if latest == "nlu_fallback" else "user_request"


async def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str,
    portal_message: str | None = None,
    explain: bool = True,
) -> list[EventType]:
    """Explains (unless the user just asked for it), creates the handoff in the portal, and pauses the conversation."""
    portal_message = portal_message or tracker.get_slot("portal_message")
    if explain and reason in PORTAL_EXPLAINS and portal_message:
        dispatcher.utter_message(response="utter_portal_refused", portal_message=portal_message)
    elif explain and reason in EXPLANATIONS:
        dispatcher.utter_message(response=EXPLANATIONS[reason])
    reset = [SlotSet(slot, None) for slot in FORM_SLOTS]
    handoff = {
        "conversation_id": tracker.sender_id,
        "channel": token_claims(tracker).get("chn", "chat"),
        "reason": reason,
        "language": language(tracker),
        "summary": last_form(tracker),
        "transcript": transcript(tracker),
    }
    try:
        answer = await portal(tracker).create_handoff(handoff)
    except PortalUnavailableError:
        answer = None
    if answer is None or not answer.ok:
        dispatcher.utter_message(response="utter_handoff_failed")
        return reset
    dispatcher.utter_message(response="utter_handed_off")
    return [*reset, ConversationPaused()]


class ActionHandoff(Action):
    """Hands over on request, after repeated misunderstanding, or when a form ended for a reason."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Hands the conversation over."""
        return await hand_off(dispatcher, tracker, reason_for(tracker))
