"""The manual's rules for individual changes (R5, R6, R7, R10's lock), each a check that explains itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from portal.collective.models import LOCKING_STATUSES, CollectiveChange
from portal.config import get_settings
from portal.dates import add_months, today
from portal.errors import N_, PortalError, Problem
from portal.mutations.models import Mutation, MutationType
from portal.mutations.schemas import FamilyMemberRequest, SalaryChangeRequest
from portal.mutations.state import pending_termination
from portal.participants.bsn import is_valid_bsn, normalize_bsn
from portal.participants.models import Participant, ParticipantStatus, Relation

MAX_SALARY = Decimal("10000000")


def ensure_no_collective_processing(session: Session, employer_id: int) -> None:
    """R10: while a collective change is received or processing, no individual change (409)."""
    processing = session.scalar(
        select(
            exists().where(
                CollectiveChange.employer_id == employer_id,
                CollectiveChange.status.in_(LOCKING_STATUSES),
            )
        )
    )
    if processing:
        raise PortalError(
            409,
            Problem(
                "collective_change_processing",
                N_(
                    "A collective change is being processed. Individual changes are possible again "
                    "once it has been fully processed (at most 24 hours)."
                ),
            ),
        )


def ensure_changeable(participant: Participant) -> None:
    """R5: no changes to a dormant participant (slaper)."""
    if participant.status is ParticipantStatus.dormant:
        raise PortalError(
            422,
            Problem(
                "participant_dormant",
                N_("No changes are possible for {name}: this participant is dormant (slaper)."),
                "participant",
                {"name": participant.full_name},
            ),
        )


def effective_date_problems(value: date, participant: Participant, history: list[Mutation]) -> list[Problem]:
    """R6: at most three months ahead; not before the date in service nor on or after a registered termination."""
    latest = add_months(today(), get_settings().months_ahead_limit)
    if value > latest:
        return [
            Problem(
                "effective_date_too_late",
                N_("The effective date may be at most three months ahead: {latest} at the latest."),
                "effective_date",
                {"latest": latest},
            )
        ]
    if value < participant.date_in_service:
        return [
            Problem(
                "effective_date_before_service",
                N_("The effective date cannot be before the date in service ({date_in_service})."),
                "effective_date",
                {"date_in_service": participant.date_in_service},
            )
        ]
    termination = pending_termination(history)
    if termination is not None and value >= termination:
        return [
            Problem(
                "effective_date_after_termination",
                N_("This participant leaves service on {termination}; a change must take effect before that."),
                "effective_date",
                {"termination": termination},
            )
        ]
    return []


def salary_change_problems(request: SalaryChangeRequest) -> list[Problem]:
    """At least one new value; a positive salary with cents at most; a part-time percentage above 0 up to 100."""
    problems: list[Problem] = []
    if request.salary is None and request.parttime_percentage is None:
        problems.append(
            Problem(
                "nothing_to_change",
                N_("Enter a new full-time salary, a new part-time percentage, or both."),
                "salary",
            )
        )
    if request.salary is not None and not (Decimal(0) < request.salary < MAX_SALARY):
        problems.append(Problem("invalid_salary", N_("The full-time salary must be more than € 0."), "salary"))
    elif request.salary is not None and request.salary != request.salary.quantize(Decimal("0.01")):
        problems.append(Problem("invalid_salary", N_("The salary can have at most two decimals."), "salary"))
    percentage = request.parttime_percentage
    if percentage is not None and not (Decimal(0) < percentage <= Decimal(100)):
        problems.append(
            Problem(
                "invalid_parttime_percentage",
                N_("The part-time percentage must be more than 0 and at most 100."),
                "parttime_percentage",
            )
        )
    elif percentage is not None and percentage != percentage.quantize(Decimal("0.001")):
        problems.append(
            Problem(
                "invalid_parttime_percentage",
                N_("The part-time percentage can have at most three decimals."),
                "parttime_percentage",
            )
        )
    return problems


def termination_problems(history: list[Mutation]) -> list[Problem]:
    """One termination per employment."""
    existing = pending_termination(history)
    if existing is None:
        return []
    return [
        Problem(
            "termination_exists",
            N_("A termination has already been registered for this participant, per {date}."),
            "effective_date",
            {"date": existing},
        )
    ]


def family_member_problems(request: FamilyMemberRequest, participant: Participant) -> list[Problem]:
    """R7: a valid BSN (elfproef), not already registered; a birth date not in the future; one partner."""
    problems: list[Problem] = []
    if not is_valid_bsn(request.bsn):
        problems.append(
            Problem("invalid_bsn", N_("This is not a valid BSN (it does not pass the eleven test)."), "bsn")
        )
    else:
        bsn = normalize_bsn(request.bsn)
        known = {participant.bsn, *(m.bsn for m in participant.family_members)}
        if bsn in known:
            problems.append(
                Problem("bsn_already_registered", N_("This BSN is already registered for this participant."), "bsn")
            )
    if request.birth_date > today():
        problems.append(Problem("birth_date_in_future", N_("The birth date cannot be in the future."), "birth_date"))
    has_partner = any(m.relation is Relation.partner for m in participant.family_members)
    if request.relation == "partner" and has_partner:
        problems.append(
            Problem(
                "partner_exists",
                N_("A partner is already registered for this participant. Please contact the service desk."),
                "relation",
            )
        )
    return problems


def type_of(request: object) -> MutationType:
    """The mutation type a request asks for."""
    if isinstance(request, SalaryChangeRequest):
        return MutationType.salary_change
    if isinstance(request, FamilyMemberRequest):
        return MutationType.family_member
    return MutationType.termination
