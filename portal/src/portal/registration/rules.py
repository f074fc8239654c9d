"""The manual's rules for a new participant (R9, R11), each a check that explains itself."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.config import get_settings
from portal.dates import add_months, today
from portal.employers.models import Scheme
from portal.errors import N_, Problem
from portal.mutations import rules as mutation_rules
from portal.mutations.schemas import SalaryChangeRequest
from portal.participants.bsn import is_valid_bsn, normalize_bsn
from portal.participants.models import Participant, ParticipantStatus
from portal.registration.schemas import NewParticipantRequest

MINIMUM_AGE = 15

# Why the insurer checks a registration by hand before it counts (the manual's "aanvullende controles").
REASON_RETROACTIVE = "retroactive"
REASON_RE_ENTRY = "re_entry"


def resolve_scheme(session: Session, employer_id: int, number: int | None) -> tuple[Scheme | None, list[Problem]]:
    """R9: the chosen scheme, or the only one; with several and none chosen the user must pick one."""
    schemes = session.scalars(select(Scheme).where(Scheme.employer_id == employer_id).order_by(Scheme.number)).all()
    if number is None:
        if len(schemes) == 1:
            return schemes[0], []
        return None, [Problem("scheme_required", N_("Choose the pension scheme: your company has several."), "scheme")]
    chosen = next((s for s in schemes if s.number == number), None)
    if chosen is None:
        return None, [Problem("unknown_scheme", N_("Your company has no pension scheme with this number."), "scheme")]
    return chosen, []


def start_date_problems(value: date, *, collective: bool) -> list[Problem]:
    """R9: at most three months ahead; R11: a collective registration also at most three months back."""
    months = get_settings().months_ahead_limit
    latest = add_months(today(), months)
    if value > latest:
        return [
            Problem(
                "start_date_too_late",
                N_("The start date may be at most three months ahead: {latest} at the latest."),
                "date_in_service",
                {"latest": latest},
            )
        ]
    earliest = add_months(today(), -months)
    if collective and value < earliest:
        return [
            Problem(
                "start_date_too_early",
                N_("The start date may be at most three months back: {earliest} at the earliest."),
                "date_in_service",
                {"earliest": earliest},
            )
        ]
    return []


def birth_date_problems(birth_date: date, start: date) -> list[Problem]:
    """A birth date in the past that makes the participant at least fifteen on the start date."""
    if birth_date > today():
        return [Problem("birth_date_in_future", N_("The birth date cannot be in the future."), "birth_date")]
    if add_months(birth_date, 12 * MINIMUM_AGE) > start:
        return [
            Problem(
                "too_young",
                N_("Check the birth date: the participant would be younger than {age} on the start date."),
                "birth_date",
                {"age": MINIMUM_AGE},
            )
        ]
    return []


def existing_with_bsn(session: Session, employer_id: int, bsn: str) -> list[Participant]:
    """The employer's participants (current or former) with this BSN."""
    return list(
        session.scalars(select(Participant).where(Participant.employer_id == employer_id, Participant.bsn == bsn)).all()
    )


def bsn_problems(session: Session, employer_id: int, bsn: str) -> list[Problem]:
    """R7's elfproef; an active participant cannot be registered twice."""
    if not is_valid_bsn(bsn):
        return [Problem("invalid_bsn", N_("This is not a valid BSN (it does not pass the eleven test)."), "bsn")]
    active = [p for p in existing_with_bsn(session, employer_id, normalize_bsn(bsn)) if p.status is ParticipantStatus.active]
    if active:
        return [
            Problem(
                "already_participant",
                N_("This person is already a participant ({number})."),
                "bsn",
                {"number": active[0].number},
            )
        ]
    return []


def value_problems(request: NewParticipantRequest) -> list[Problem]:
    """The salary and part-time percentage, by the same rules as a salary change."""
    as_change = SalaryChangeRequest(
        effective_date=request.date_in_service, salary=request.salary, parttime_percentage=request.parttime_percentage
    )
    return mutation_rules.salary_change_problems(as_change)


def registration_problems(
    session: Session, employer_id: int, request: NewParticipantRequest, *, collective: bool
) -> tuple[Scheme | None, list[Problem]]:
    """Every rule at once, so a form or a workbook row shows all its mistakes together."""
    scheme, problems = resolve_scheme(session, employer_id, request.scheme)
    problems += start_date_problems(request.date_in_service, collective=collective)
    problems += birth_date_problems(request.birth_date, request.date_in_service)
    problems += bsn_problems(session, employer_id, request.bsn)
    problems += value_problems(request)
    return scheme, problems


def additional_check_reasons(session: Session, employer_id: int, request: NewParticipantRequest) -> list[str]:
    """Why the insurer must check this registration first: a start more than three months back, or a former participant."""
    reasons: list[str] = []
    if request.date_in_service < add_months(today(), -get_settings().months_ahead_limit):
        reasons.append(REASON_RETROACTIVE)
    if existing_with_bsn(session, employer_id, normalize_bsn(request.bsn)):
        reasons.append(REASON_RE_ENTRY)
    return reasons
