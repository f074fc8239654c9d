"""What happens when a change form ends: submit after a yes, stop after a no, or hand over."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.portal import PortalUnavailableError
from actions.conversation import FORM_SLOTS, last_form, portal
from actions.forms import ValidateFamilyMemberForm, ValidateSalaryChangeForm, ValidateTerminationForm
from actions.handoff import hand_off
from actions.sealed import keyed_digest

FORMS = {
    "termination_form": ValidateTerminationForm(),
    "salary_change_form": ValidateSalaryChangeForm(),
    "family_member_form": ValidateFamilyMemberForm(),
}


def idempotency_key(sender_id: str, kind: str, participant: str, body: dict[str, Any]) -> str:
    """The same confirmed change in the same conversation always gets the same key, so a retry submits once.

    The portal stores the key; the body may hold a partner's BSN, so the digest is keyed (actions/sealed.py).
    """
    content = json.dumps({"kind": kind, "participant": participant, "body": body}, sort_keys=True)
    return f"chat-{sender_id[:40]}-{keyed_digest(content.encode())[:32]}"


def reset() -> list[EventType]:
    """Clears every slot of a change conversation."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionFinishChange(Action):
    """Runs once a change form has ended."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_finish_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Submits exactly once after a yes; a handoff or a no otherwise."""
        if tracker.get_slot("handoff_reason"):
            return await hand_off(dispatcher, tracker, tracker.get_slot("handoff_reason"))
        if tracker.get_slot("confirmation") is not True:
            dispatcher.utter_message(response="utter_not_submitted")
            return reset()
        form_name = last_form(tracker) or ""
        form = FORMS[form_name]
        slots = dict(tracker.slots)
        body = form.portal_body(slots) or {}
        key = idempotency_key(tracker.sender_id, form.kind, slots["participant"], body)
        try:
            answer = await portal(tracker).submit(form.kind, slots["participant"], body, dry_run=False, idempotency_key=key)
        except PortalUnavailableError:
            # Nothing is lost: the values stay, the form waits at its summary again, and a yes retries with
            # the same key (a request the portal stored after all is answered as a replay, not made twice).
            # The form is put back at its summary by hand: running it again would read the "ja" just given.
            dispatcher.utter_message(response="utter_submit_failed")
            dispatcher.utter_message(response=SUMMARIES[form_name].summary(tracker))
            return [
                ActiveLoop(form_name),
                SlotSet("confirmation", None),
                SlotSet("requested_slot", "confirmation"),
                FollowupAction("action_listen"),
            ]
        if answer.ok:
            status = answer.body["status"]
            dispatcher.utter_message(
                response="utter_submitted_processed" if status == "processed" else "utter_submitted_received",
                mutation_reference=f"#{answer.body['id']}",
            )
            return [*reset(), SlotSet("mutation_reference", f"#{answer.body['id']}"), SlotSet("mutation_status", status)]
        reason = {403: "forbidden", 409: "collective_processing"}.get(answer.status, "rule_blocked")
        message = answer.problems[0].message if answer.problems else None
        return await hand_off(dispatcher, tracker, reason, message)


class ActionCancelChange(Action):
    """Stops a change conversation at any step; nothing is submitted."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_cancel_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Says it is cancelled and clears the values."""
        dispatcher.utter_message(response="utter_cancelled")
        return [ActiveLoop(None), *reset()]


class AskConfirmation(Action, ABC):
    """Shows the summary with Yes / Change something / No, or asks what to change."""

    form_name: str

    def name(self) -> str:
        """action_ask_<form>_confirmation, the name Rasa looks for."""
        return f"action_ask_{self.form_name}_confirmation"

    @abstractmethod
    def summary(self, tracker: Tracker) -> str:
        """The response that summarises this form's values."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """The summary, unless the user just asked to change something."""
        latest = (tracker.latest_message.get("intent") or {}).get("name")
        has_values = any(e.get("entity") != "language" for e in tracker.latest_message.get("entities") or [])
        if latest == "change_something" and not has_values:
            dispatcher.utter_message(response="utter_ask_what_to_change")
        else:
            dispatcher.utter_message(response=self.summary(tracker))
        return []


class AskTerminationConfirmation(AskConfirmation):
    """The termination summary."""

    form_name = "termination_form"

    def summary(self, tracker: Tracker) -> str:
        """One summary for a termination."""
        return "utter_summary_termination"


class AskSalaryChangeConfirmation(AskConfirmation):
    """The salary/part-time summary: which values change."""

    form_name = "salary_change_form"

    def summary(self, tracker: Tracker) -> str:
        """Both values, only the salary, or only the part-time percentage."""
        salary, parttime = tracker.get_slot("new_salary"), tracker.get_slot("new_parttime")
        if salary and parttime:
            return "utter_summary_salary_change_both"
        return "utter_summary_salary_change_salary" if salary else "utter_summary_salary_change_parttime"


class AskFamilyMemberConfirmation(AskConfirmation):
    """The partner/child summary, the BSN masked."""

    form_name = "family_member_form"

    def summary(self, tracker: Tracker) -> str:
        """The partner's or the child's summary."""
        return "utter_summary_family_member_child" if tracker.get_slot("relation") == "child" else "utter_summary_family_member_partner"


class AskParticipant(Action):
    """Asks which participant, unless this turn already asked (with buttons, or 'not found')."""

    def name(self) -> str:
        """action_ask_participant, the name Rasa looks for."""
        return "action_ask_participant"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """The question, once."""
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                break
            if event.get("event") == "bot":
                return []
        dispatcher.utter_message(response="utter_ask_participant")
        return []


# The summary of each form, shown again when a submission could not reach the portal.
SUMMARIES: dict[str, AskConfirmation] = {
    "termination_form": AskTerminationConfirmation(),
    "salary_change_form": AskSalaryChangeConfirmation(),
    "family_member_form": AskFamilyMemberConfirmation(),
}
