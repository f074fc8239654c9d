"""Answers about the user's own people: a participant's details, and the status of submitted changes.

Every call goes to the portal with the user's chat token, so the portal's rules decide what they may see:
a role without access (Finance) gets a plain refusal and no data.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.portal import PortalClient, PortalUnavailableError
from actions.conversation import PARTICIPANT_NUMBER, entity_texts, language, portal
from actions.parsing import format_amount, format_date, format_percentage

MAX_CANDIDATES = 5
LATEST_CHANGES = 5
# Collective uploads that are still on their way; processed and failed ones are history.
COLLECTIVE_IN_PROGRESS = {"received", "processing"}

# The portal's codes as the user reads them; the portal's pages use the same words.
LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "active": "actief", "dormant": "slaper",
        "new_participation": "aanmelding", "salary_change": "salaris-/deeltijdwijziging",
        "termination": "uitdiensttreding", "family_member": "partner/kind", "intermediary_change": "wijziging adviseur",
        "received": "ontvangen", "processed": "verwerkt", "additional_checks": "extra controle",
        "rejected": "afgewezen", "processing": "in verwerking", "failed": "mislukt",
        "salary": "salaris/deeltijd", "new_participants": "nieuwe deelnemers",
    },
    "en": {
        "active": "active", "dormant": "dormant (slaper)",
        "new_participation": "registration", "salary_change": "salary/part-time change",
        "termination": "termination", "family_member": "partner/child", "intermediary_change": "advisor change",
        "received": "received", "processed": "processed", "additional_checks": "additional checks",
        "rejected": "rejected", "processing": "processing", "failed": "failed",
        "salary": "salary/part-time", "new_participants": "new participants",
    },
}


def label(code: str, lang: str) -> str:
    """The user's word for one of the portal's codes; the code itself if we have none."""
    return LABELS[lang].get(code, code)


def named_participant(tracker: Tracker) -> str | None:
    """The participant number or name the latest message is about."""
    numbers = entity_texts(tracker, "participant_number")
    if numbers:
        return numbers[0]
    found = PARTICIPANT_NUMBER.search(tracker.latest_message.get("text") or "")
    if found:
        return found.group()
    names = entity_texts(tracker, "person_name")
    return names[0] if names else None


async def resolve(
    client: PortalClient, dispatcher: CollectingDispatcher, tracker: Tracker, query: str, button_text: str
) -> str | int | None:
    """The participant's number; 403 when the portal refuses; None after telling the user why not one.

    Several matches are offered as buttons like the forms do; a button's payload asks again with the
    number (`button_text` holds {number}), so a click is a message the assistant understands anywhere.
    """
    number = PARTICIPANT_NUMBER.search(query)
    if number:
        return number.group()
    answer = await client.find_participants(query)
    if answer.status == 403:
        return 403
    total = answer.body["total"] if answer.ok else 0
    if total == 0:
        dispatcher.utter_message(response="utter_participant_not_found", participant_query=query)
        return None
    if total == 1:
        return answer.body["items"][0]["number"]
    if total > MAX_CANDIDATES:
        dispatcher.utter_message(response="utter_too_many_participants", participant_query=query, candidate_count=total)
        return None
    lang = language(tracker)
    buttons = [
        {
            "title": f"{row['number']} · {row['name']} · {format_date(date.fromisoformat(row['date_in_service']), lang)}",
            "payload": button_text.format(number=row["number"]),
        }
        for row in answer.body["items"]
    ]
    dispatcher.utter_message(response="utter_which_participant", participant_query=query, buttons=buttons)
    return None


def full_name(detail: dict[str, Any]) -> str:
    """First name, tussenvoegsel and last name as one writes them."""
    return " ".join(part for part in (detail["first_name"], detail["infix"], detail["last_name"]) if part)


def participant_card(detail: dict[str, Any], lang: str) -> dict[str, str]:
    """The response variables of utter_lookup_result, formatted for the user's language."""
    return {
        "lookup_name": full_name(detail),
        "lookup_number": detail["number"],
        "lookup_salary": format_amount(Decimal(detail["fulltime_salary"]), lang),
        "lookup_parttime": format_percentage(Decimal(detail["parttime_percentage"]), lang),
        "lookup_status": label(detail["status"], lang),
        "lookup_date_in_service": format_date(date.fromisoformat(detail["date_in_service"]), lang),
        "lookup_scheme": detail.get("scheme_name") or str(detail["scheme"]),
    }


def change_line(change: dict[str, Any], lang: str, name: str | None = None) -> str:
    """One submitted change: who, what, from when, and its status."""
    who = f"{name or change.get('participant_name', '')} ({change['participant']}): " if change.get("participant") else ""
    when = format_date(date.fromisoformat(change["effective_date"]), lang)
    per = "per" if lang == "nl" else "as of"
    return f"- {who}{label(change['type'], lang)} {per} {when} — {label(change['status'], lang)}"


def collective_line(upload: dict[str, Any], lang: str) -> str:
    """One collective upload in progress: file, kind, status and rows checked so far."""
    rows = "rijen" if lang == "nl" else "rows"
    progress = f"{upload['progress']}/{upload['row_count']} {rows}"
    return f"- {upload['filename']} ({label(upload['kind'], lang)}): {label(upload['status'], lang)}, {progress}"


def newest_first(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Changes by the moment they were requested, newest first."""
    return sorted(changes, key=lambda c: c.get("requested_at") or "", reverse=True)


class ActionLookupParticipant(Action):
    """Shows salary, part-time percentage, status, date in service and scheme of one participant."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_lookup_participant"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Resolves the participant named in the message and shows their details."""
        query = named_participant(tracker)
        if not query:
            dispatcher.utter_message(response="utter_lookup_ask_participant")
            return []
        client = portal(tracker)
        lang = language(tracker)
        try:
            number = await resolve(client, dispatcher, tracker, query, LOOKUP_BUTTON[lang])
            if number is None:
                return []
            answer = None if number == 403 else await client.participant(str(number))
        except PortalUnavailableError:
            dispatcher.utter_message(response="utter_portal_unavailable")
            return []
        if answer is None or answer.status == 403:
            dispatcher.utter_message(response="utter_lookup_forbidden")
            return []
        if not answer.ok:
            dispatcher.utter_message(response="utter_participant_not_found", participant_query=query)
            return []
        dispatcher.utter_message(response="utter_lookup_result", **participant_card(answer.body, lang))
        return []


# What a button under several matches sends: a lookup of that number, understood as one.
LOOKUP_BUTTON = {"nl": "gegevens van {number}", "en": "details of {number}"}
STATUS_BUTTON = {"nl": "status van de wijziging van {number}", "en": "status of the change for {number}"}


class ActionCheckChangeStatus(Action):
    """The latest submitted changes (or the one of a named participant) and collective uploads in progress."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_check_change_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Asks the portal and lists what it answers."""
        client = portal(tracker)
        query = named_participant(tracker)
        try:
            if query:
                await self._for_participant(client, dispatcher, tracker, query)
            else:
                await self._overview(client, dispatcher, tracker)
        except PortalUnavailableError:
            dispatcher.utter_message(response="utter_portal_unavailable")
        return []

    async def _for_participant(
        self, client: PortalClient, dispatcher: CollectingDispatcher, tracker: Tracker, query: str
    ) -> None:
        lang = language(tracker)
        number = await resolve(client, dispatcher, tracker, query, STATUS_BUTTON[lang])
        if number is None:
            return
        answer = None if number == 403 else await client.participant(str(number))
        if answer is None or answer.status == 403:
            dispatcher.utter_message(response="utter_status_forbidden")
            return
        if not answer.ok:
            dispatcher.utter_message(response="utter_participant_not_found", participant_query=query)
            return
        detail = answer.body
        changes = newest_first(detail.get("changes") or [])
        if not changes:
            dispatcher.utter_message(response="utter_status_none_for_participant", lookup_name=full_name(detail),
                                     lookup_number=detail["number"])
            return
        lines = "\n".join(change_line(c, lang) for c in changes[:LATEST_CHANGES])
        dispatcher.utter_message(response="utter_status_for_participant", lookup_name=full_name(detail),
                                 lookup_number=detail["number"], status_lines=lines)

    async def _overview(self, client: PortalClient, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        lang = language(tracker)
        individual = await client.individual_changes()
        if individual.status == 403:
            dispatcher.utter_message(response="utter_status_forbidden")
            return
        collective = await client.collective_changes()
        if collective.status == 403:
            dispatcher.utter_message(response="utter_status_forbidden")
            return
        if not (individual.ok and collective.ok):
            # An empty list here would read as "nothing submitted"; say the portal did not answer instead.
            dispatcher.utter_message(response="utter_portal_unavailable")
            return
        changes = newest_first(individual.body or [])
        uploads = [u for u in (collective.body or []) if u.get("status") in COLLECTIVE_IN_PROGRESS]
        if not changes and not uploads:
            dispatcher.utter_message(response="utter_status_nothing")
            return
        if changes:
            lines = "\n".join(change_line(c, lang) for c in changes[:LATEST_CHANGES])
            dispatcher.utter_message(response="utter_status_latest", status_lines=lines)
        if uploads:
            lines = "\n".join(collective_line(u, lang) for u in uploads)
            dispatcher.utter_message(response="utter_status_collective", status_lines=lines)
