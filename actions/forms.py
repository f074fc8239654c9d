"""Validation of the three change forms: values parsed from what users type, then checked by the portal.

Validation has no side effects: the portal is asked with `?dry_run=true` only. Rasa may run a
validation action twice in one turn (at form activation), so nothing here submits anything.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import date
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.api.portal import PortalAnswer, PortalUnavailableError
from actions.conversation import (
    PARTICIPANT_NUMBER,
    entity_texts,
    entity_values,
    intent,
    language,
    portal,
    today,
)
from actions.names import split_name
from actions.parsing import (
    ParttimeParse,
    find_bsn,
    format_amount,
    format_date,
    format_percentage,
    is_valid_bsn,
    mask_bsn,
    parse_amount,
    parse_date,
    parse_parttime,
)
from actions.sealed import seal, unseal

# Intents that leave the form: the form rejects, and the rules for cancel and handoff take over.
LEAVING_INTENTS = {"cancel", "request_human"}
# Questions answered in the middle of a form, after which the form asks its question again.
INTERRUPTIONS = {
    "ask_capabilities": "utter_capabilities",
    "check_change_status": "utter_check_status",
    "register_participant": "utter_register_participant",
    "lookup_participant": "utter_lookup_in_portal",
    "out_of_scope": "utter_out_of_scope",
    "thankyou": "utter_youre_welcome",
}
# A FAQ question (retrieval intent faq/<topic>) is answered with the FaqSelector's pick (bot/components/faq_selector.py).
FAQ_INTENT = "faq"
CONFIDENT = 0.8
MAX_CANDIDATES = 5
MAX_FAILURES = 2
RELATION_WORDS = {
    "partner": "partner", "echtgenote": "partner", "echtgenoot": "partner", "vrouw": "partner", "man": "partner",
    "vriendin": "partner", "vriend": "partner", "wife": "partner", "husband": "partner", "spouse": "partner",
    "girlfriend": "partner", "boyfriend": "partner",
    "kind": "child", "kindje": "child", "zoon": "child", "zoontje": "child", "dochter": "child",
    "dochtertje": "child", "baby": "child", "child": "child", "son": "child", "daughter": "child", "kid": "child",
}
# Which of our slots each field of the portal's errors is about.
FIELD_SLOTS = {
    "effective_date": "effective_date",
    "salary": "change_values",
    "parttime_percentage": "change_values",
    "relation": "relation",
    "first_name": "member_name",
    "last_name": "member_name",
    "infix": "member_name",
    "birth_date": "member_birth_date",
    "bsn": "member_bsn",
}


# What an explicit yes contains: the classifier alone is sure of "zo snel mogelijk" as a yes too.
YES_WORDS = frozenset({
    "ja", "jazeker", "jawel", "jep", "klopt", "correct", "prima", "akkoord", "goed", "doorgeven", "indienen",
    "graag", "bevestig", "bevestigen", "top", "yes", "yep", "yeah", "yup", "sure", "ok", "oke", "oké", "okay",
    "okee", "submit", "confirm", "confirmed", "right", "absolutely", "perfect", "go",
})


def faq_response(tracker: Tracker) -> str | None:
    """The `utter_faq/<topic>` response the FaqSelector chose for the latest message, if any."""
    selector = tracker.latest_message.get("response_selector") or {}
    chosen = selector.get(FAQ_INTENT) or selector.get("default") or {}
    return (chosen.get("response") or {}).get("utter_action") or None


def interruption_response(tracker: Tracker, intent_name: str) -> str | None:
    """The response that answers a question asked in the middle of a form, or None for other intents."""
    if intent_name == FAQ_INTENT:
        return faq_response(tracker)
    return INTERRUPTIONS.get(intent_name)


def explicit_yes(text: str) -> bool:
    """Whether a message says yes in so many words."""
    return bool(set(re.findall(r"[a-zà-ÿ]+", text.lower())) & YES_WORDS)


def handoff(reason: str, message: str | None = None) -> dict[str, Any]:
    """Slot values that end the form and hand the conversation over for `reason`."""
    return {"handoff_reason": reason, "portal_message": message, "requested_slot": None}


def failure(tracker: Tracker, slot: str) -> dict[str, Any]:
    """Clears a slot that failed; the second failure of the same slot hands over."""
    same = tracker.get_slot("failed_slot") == slot
    attempts = int(tracker.get_slot("failed_attempts") or 0) + 1 if same else 1
    values: dict[str, Any] = {slot: None, "failed_slot": slot, "failed_attempts": attempts}
    if attempts >= MAX_FAILURES:
        values |= handoff("validation_failed")
    return values


def success(values: dict[str, Any]) -> dict[str, Any]:
    """A validated value, with the failure count of that slot cleared."""
    return {**values, "failed_slot": None, "failed_attempts": None}


def validated_date(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """The date in ISO form and as the user reads it ('1 maart 2027'), or a failure with an example."""
    parsed = parse_date(str(value or ""), language(tracker), today())
    if parsed is None:
        dispatcher.utter_message(response="utter_invalid_date")
        return failure(tracker, slot)
    return success({slot: parsed.isoformat(), f"{slot}_display": format_date(parsed, language(tracker))})


def refusal_handoff(answer: PortalAnswer) -> dict[str, Any] | None:
    """A handoff for what the user cannot fix: the role (403), a collective change (409)."""
    if answer.status == 403:
        return handoff("forbidden")
    if answer.status == 409:
        return handoff("collective_processing", answer.problems[0].message if answer.problems else None)
    return None


class ChangeFormValidation(FormValidationAction, ABC):
    """Shared validation of the change forms: participant, dates, the portal check, the confirmation."""

    # The portal's path segment for this kind of mutation.
    kind: str

    @abstractmethod
    def portal_body(self, slots: dict[str, Any]) -> dict[str, Any] | None:
        """The mutation body from the slots, or None while not enough is known to ask the portal."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Answers questions in between, lets cancel and handoff through, validates, then asks the portal."""
        name, confidence = intent(tracker)
        requested = tracker.get_slot("requested_slot")
        if tracker.active_loop_name and name in LEAVING_INTENTS and confidence >= CONFIDENT:
            return []
        values = [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") != "language"]
        answer = interruption_response(tracker, name)
        if requested and answer and confidence >= CONFIDENT and not values:
            dispatcher.utter_message(response=answer)
            return [SlotSet(requested, None)]
        # The portal down or slow in the middle of a form: say so and keep every value; nothing is submitted
        # without the summary and a yes, and the portal checks everything again at the submission.
        try:
            events = await super().run(dispatcher, tracker, domain)
        except PortalUnavailableError:
            # This answer could not be checked (a name to look up): the same question comes again.
            dispatcher.utter_message(response="utter_portal_unavailable_kept")
            return [SlotSet(requested, None)] if requested else []
        if any(e.get("name") == "handoff_reason" and e.get("value") for e in events):
            return events
        try:
            return events + await self.check_with_portal(dispatcher, tracker, events)
        except PortalUnavailableError:
            dispatcher.utter_message(response="utter_portal_unavailable_kept")
            return events

    async def check_with_portal(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, events: list[EventType]
    ) -> list[EventType]:
        """A dry run with every value known so far; a value the portal refuses is asked again."""
        changed = {e.get("name") for e in events if e.get("event") == "slot" and e.get("value") is not None}
        if not changed - {"failed_slot", "failed_attempts", "participant_query", "candidate_count"}:
            return []
        slots = dict(tracker.slots)
        body = self.portal_body(slots)
        if not slots.get("participant") or body is None:
            return []
        answer = await portal(tracker).submit(self.kind, slots["participant"], body, dry_run=True)
        blocked = refusal_handoff(answer)
        if blocked:
            return [SlotSet(k, v) for k, v in blocked.items()]
        if answer.ok:
            return []
        values: dict[str, Any] = {}
        for problem in answer.problems:
            slot = FIELD_SLOTS.get(problem.field or "")
            if problem.field == "participant" or problem.code == "partner_exists":
                return [SlotSet(k, v) for k, v in handoff("rule_blocked", problem.message).items()]
            if slot and slots.get(slot) is not None and slot not in values:
                dispatcher.utter_message(response="utter_portal_refused", portal_message=problem.message)
                values |= failure(tracker, slot)
        return [SlotSet(k, v) for k, v in values.items()]

    # --- participant ----------------------------------------------------------------------------

    def extract_participant(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """A participant number or name: from the first message, when asked for, or a number at the summary."""
        requested = tracker.get_slot("requested_slot")
        numbers = entity_texts(tracker, "participant_number")
        names = entity_texts(tracker, "person_name")
        if requested == "participant":
            return {"participant": (numbers or names or [tracker.latest_message.get("text")])[0]}
        if requested == "confirmation" and numbers:
            return {"participant": numbers[0]}
        if requested is None and not tracker.get_slot("participant") and (numbers or names):
            return {"participant": (numbers or names)[0]}
        return {}

    async def validate_participant(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Finds the participant in the portal: one match is taken, several are offered as buttons.

        With the portal unreachable only this answer is asked again; the other values of the message stay.
        """
        try:
            return await self._find_participant(dispatcher, tracker, str(value or "").strip())
        except PortalUnavailableError:
            dispatcher.utter_message(response="utter_portal_unavailable_kept")
            return {"participant": None, "participant_query": None}

    async def _find_participant(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> dict[str, Any]:
        client = portal(tracker)
        number = PARTICIPANT_NUMBER.search(text)
        if number:
            return await self._take_participant(dispatcher, tracker, number.group())
        previous = tracker.get_slot("participant_query")
        query = f"{previous} {text}" if previous else text
        answer = await client.find_participants(query)
        if previous and answer.ok and answer.body["total"] == 0:
            query, answer = text, await client.find_participants(text)
        blocked = refusal_handoff(answer)
        if blocked:
            return blocked
        total = answer.body["total"] if answer.ok else 0
        if total == 0:
            dispatcher.utter_message(response="utter_participant_not_found", participant_query=text)
            return {**failure(tracker, "participant"), "participant_query": None}
        if total == 1:
            return await self._take_participant(dispatcher, tracker, answer.body["items"][0]["number"])
        if total > MAX_CANDIDATES:
            dispatcher.utter_message(response="utter_too_many_participants", participant_query=query, candidate_count=total)
            return {"participant": None, "participant_query": query, "candidate_count": total}
        buttons = [
            {
                "title": f"{row['number']} · {row['name']} · {format_date(date.fromisoformat(row['date_in_service']), language(tracker))}",
                "payload": row["number"],
            }
            for row in answer.body["items"]
        ]
        dispatcher.utter_message(response="utter_which_participant", participant_query=query, buttons=buttons)
        return {"participant": None, "participant_query": query, "candidate_count": total}

    async def _take_participant(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, number: str
    ) -> dict[str, Any]:
        answer = await portal(tracker).participant(number)
        blocked = refusal_handoff(answer)
        if blocked:
            return blocked
        if not answer.ok:
            dispatcher.utter_message(response="utter_participant_not_found", participant_query=number)
            return {**failure(tracker, "participant"), "participant_query": None}
        detail = answer.body
        if detail.get("change_blocked"):
            problem = detail["change_blocked"]
            reason = "collective_processing" if problem["code"] == "collective_change_processing" else "rule_blocked"
            return handoff(reason, problem["message"])
        name = " ".join(part for part in (detail["first_name"], detail["infix"], detail["last_name"]) if part)
        return success({"participant": detail["number"], "participant_name": name, "participant_query": None,
                        "candidate_count": None})

    # --- dates ----------------------------------------------------------------------------------

    def extract_effective_date(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """A date entity, or the whole message when the date is asked for."""
        return _extract(tracker, "effective_date", ("date",))

    async def validate_effective_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A date in the user's language; the portal judges it afterwards (three months, date in service)."""
        return validated_date("effective_date", value, dispatcher, tracker)

    # --- confirmation ---------------------------------------------------------------------------

    def extract_confirmation(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """Only an answer to the summary question counts: a 'yes' at any other moment confirms nothing."""
        if tracker.get_slot("requested_slot") != "confirmation":
            return {}
        name, _ = intent(tracker)
        if name == "deny":
            return {"confirmation": False}
        if name == "affirm" and explicit_yes(tracker.latest_message.get("text") or ""):
            return {"confirmation": True}
        return {"confirmation": None}

    async def validate_confirmation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes or no; a correction or 'change something' shows the summary again."""
        if value is not None:
            return {"confirmation": bool(value)}
        name, _ = intent(tracker)
        corrected = any(e.get("entity") != "language" for e in tracker.latest_message.get("entities") or [])
        if name in ("change_something", "inform") or corrected:
            return {"confirmation": None}
        dispatcher.utter_message(response="utter_confirm_with_buttons")
        return failure(tracker, "confirmation")


def _extract(tracker: Tracker, slot: str, entities: tuple[str, ...]) -> dict:
    # The whole message: the parser finds the value in it ("per 1 december 2026" may be two entities).
    requested = tracker.get_slot("requested_slot")
    found = entity_texts(tracker, *entities)
    if requested == slot or (found and (requested == "confirmation" or tracker.get_slot(slot) is None)):
        return {slot: tracker.latest_message.get("text")}
    return {}


class ValidateTerminationForm(ChangeFormValidation):
    """Termination (uitdiensttreding): participant and effective date."""

    kind = "termination"

    def name(self) -> str:
        """The action Rasa calls for the termination form."""
        return "validate_termination_form"

    def portal_body(self, slots: dict[str, Any]) -> dict[str, Any] | None:
        """Only the date is needed."""
        return {"effective_date": slots["effective_date"]} if slots.get("effective_date") else None


class ValidateSalaryChangeForm(ChangeFormValidation):
    """Salary and/or part-time change: participant, effective date, new values."""

    kind = "salary-change"

    def name(self) -> str:
        """The action Rasa calls for the salary change form."""
        return "validate_salary_change_form"

    def portal_body(self, slots: dict[str, Any]) -> dict[str, Any] | None:
        """The date and whichever new values are known."""
        if not slots.get("effective_date"):
            return None
        body: dict[str, Any] = {"effective_date": slots["effective_date"]}
        if slots.get("new_salary"):
            body["salary"] = slots["new_salary"]
        if slots.get("new_parttime"):
            body["parttime_percentage"] = slots["new_parttime"]
        return body

    def extract_change_values(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """An amount or percentage entity, or the whole message when the values are asked for."""
        requested = tracker.get_slot("requested_slot")
        given = entity_texts(tracker, "amount", "percentage")
        if requested == "change_values" or (
            given and (requested == "confirmation" or not tracker.get_slot("change_values"))
        ):
            return {"change_values": tracker.latest_message.get("text")}
        return {}

    async def validate_change_values(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A new salary and/or part-time percentage; an assumed part-time percentage is said out loud."""
        text, lang = str(value or ""), language(tracker)
        amounts, percentages = entity_texts(tracker, "amount"), entity_texts(tracker, "percentage")
        if amounts or percentages:
            # Parse only what the NLU marked, so a date's digits never become a percentage.
            amount = parse_amount(amounts[0], lang) if amounts else None
            parttime = parse_parttime(percentages[0], lang) if percentages else ParttimeParse(None, True)
        else:
            amount, parttime = parse_amount(text, lang), parse_parttime(text, lang)
        if amount is not None and amount < Decimal(1000):
            amount = None  # a salary below €1,000 a year is a part-time fraction or a typo, not a salary
        if amount is None and parttime.percentage is None:
            dispatcher.utter_message(response="utter_invalid_change_values")
            return failure(tracker, "change_values")
        values: dict[str, Any] = {"change_values": "given"}
        if amount is not None:
            values |= {"new_salary": f"{amount:.2f}", "new_salary_display": format_amount(amount, lang)}
        if parttime.percentage is not None:
            display = format_percentage(parttime.percentage, lang)
            values |= {"new_parttime": f"{parttime.percentage:.3f}", "new_parttime_display": display}
            if not parttime.certain:
                dispatcher.utter_message(response="utter_parttime_assumed", new_parttime_display=display)
        return success(values)


class ValidateFamilyMemberForm(ChangeFormValidation):
    """Partner or child: participant, relation, name, birth date, BSN."""

    kind = "family-members"

    def name(self) -> str:
        """The action Rasa calls for the family member form."""
        return "validate_family_member_form"

    def portal_body(self, slots: dict[str, Any]) -> dict[str, Any] | None:
        """The whole family member; the portal validates it only when complete."""
        needed = ("relation", "member_first_name", "member_last_name", "member_birth_date", "member_bsn")
        if not all(slots.get(key) for key in needed):
            return None
        return {
            "relation": slots["relation"],
            "first_name": slots["member_first_name"],
            "infix": slots.get("member_infix") or "",
            "last_name": slots["member_last_name"],
            "birth_date": slots["member_birth_date"],
            # Kept sealed in the conversation (actions/sealed.py); in the clear only on its way to the portal.
            "bsn": unseal(slots["member_bsn"]),
        }

    def extract_relation(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """The relation entity (synonyms mapped to partner/child), or the whole message when asked for."""
        values = [v for v in entity_values(tracker, "relation") if v in ("partner", "child")]
        requested = tracker.get_slot("requested_slot")
        if values and (requested in ("relation", "confirmation") or not tracker.get_slot("relation")):
            return {"relation": values[0]}
        if requested == "relation":
            return {"relation": tracker.latest_message.get("text")}
        return {}

    async def validate_relation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Partner or child."""
        words = str(value or "").lower().replace(",", " ").split()
        relation = value if value in ("partner", "child") else next(
            (RELATION_WORDS[w] for w in words if w in RELATION_WORDS), None
        )
        if relation is None:
            dispatcher.utter_message(response="utter_invalid_relation")
            return failure(tracker, "relation")
        return success({"relation": relation})

    def extract_member_name(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """The whole message when the name is asked for (a name in the first message is the participant's)."""
        if tracker.get_slot("requested_slot") == "member_name":
            return {"member_name": tracker.latest_message.get("text")}
        return {}

    async def validate_member_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """First name, tussenvoegsel and last name."""
        name = split_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_member_name")
            return failure(tracker, "member_name")
        return success({"member_name": name.full, "member_first_name": name.first_name, "member_infix": name.infix,
                        "member_last_name": name.last_name})

    def extract_member_birth_date(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """The whole message when asked for; a date entity only as a correction at the summary."""
        requested = tracker.get_slot("requested_slot")
        found = entity_texts(tracker, "date")
        if requested == "member_birth_date" or (found and requested == "confirmation"):
            return {"member_birth_date": tracker.latest_message.get("text")}
        return {}

    async def validate_member_birth_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A date in the user's language; the portal refuses one in the future."""
        return validated_date("member_birth_date", value, dispatcher, tracker)

    def extract_member_bsn(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        """A BSN anywhere in the message, or the whole message when asked for."""
        text = tracker.latest_message.get("text") or ""
        requested = tracker.get_slot("requested_slot")
        if requested == "member_bsn":
            return {"member_bsn": text}
        if find_bsn(text) and (requested == "confirmation" or not tracker.get_slot("member_bsn")):
            return {"member_bsn": text}
        return {}

    async def validate_member_bsn(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The elfproef at once; the BSN is only ever shown masked."""
        bsn = find_bsn(str(value or ""))
        if bsn is None or not is_valid_bsn(bsn):
            dispatcher.utter_message(response="utter_invalid_bsn")
            return failure(tracker, "member_bsn")
        return success({"member_bsn": seal(bsn), "member_bsn_display": mask_bsn(bsn)})
