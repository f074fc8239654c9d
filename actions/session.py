"""The start of a session (the user's portal language) and what happens when the assistant does not understand."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import token_claims, user_intents
from actions.handoff import hand_off


class ActionSessionStart(Action):
    """Starts a session in the language the user chose in the portal."""

    def name(self) -> str:
        """Rasa's session start action, replaced."""
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """SessionStarted, the language from the chat token, a pause carried over, then listen."""
        events: list[EventType] = [SessionStarted()]
        preferred = token_claims(tracker).get("lang")
        if preferred in ("nl", "en"):
            events.append(SlotSet("language", preferred))
        elif tracker.get_slot("language"):
            events.append(SlotSet("language", tracker.get_slot("language")))
        # SessionStarted resets the tracker, pause included; while a service-desk colleague has the
        # conversation (or it waits for one), a new session must not let the assistant talk again.
        if tracker.is_paused():
            events.append(ConversationPaused())
        return [*events, ActionExecuted("action_listen")]


# The response that offers a colleague after two misunderstandings; a yes or no right after it answers the offer.
HANDOFF_OFFER = "utter_offer_handoff"


def last_bot_response(tracker: Tracker) -> str | None:
    """The name of the response the assistant sent last, before the user's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


class ActionFallback(Action):
    """Asks to rephrase; a second misunderstanding in a row offers a colleague of the service desk."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Rephrase once, offer a colleague the second time (the user's yes or no goes to ActionAnswerWithoutForm)."""
        latest_two = list(user_intents(tracker))[:2]
        if latest_two == ["nlu_fallback", "nlu_fallback"]:
            dispatcher.utter_message(response=HANDOFF_OFFER)
        else:
            dispatcher.utter_message(response="utter_default")
        return []


class ActionAnswerWithoutForm(Action):
    """A yes or no outside a form: it answers the offer of a colleague, or there is nothing to confirm."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer_without_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Hand over after a yes to the offer, carry on after a no; anything else has nothing to confirm."""
        if last_bot_response(tracker) != HANDOFF_OFFER:
            dispatcher.utter_message(response="utter_nothing_to_confirm")
            return []
        if next(iter(user_intents(tracker)), None) == "affirm":
            return await hand_off(dispatcher, tracker, "not_understood", explain=False)
        dispatcher.utter_message(response="utter_handoff_offer_declined")
        return []
