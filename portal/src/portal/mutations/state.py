"""A participant's state computed from the mutation history, in order of effective date (R12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.dates import today
from portal.mutations.models import Mutation, MutationStatus, MutationType
from portal.participants.models import Participant, ParticipantStatus


@dataclass
class State:
    """The values the overview shows, as of one date."""

    fulltime_salary: Decimal
    parttime_percentage: Decimal
    status: ParticipantStatus
    termination_date: date | None


def history(session: Session, participant_id: int) -> list[Mutation]:
    """The participant's mutations that count, in the order they take effect."""
    mutations = session.scalars(
        select(Mutation).where(Mutation.participant_id == participant_id, Mutation.status != MutationStatus.rejected)
    ).all()
    return sorted(mutations, key=lambda m: (m.effective_date, m.requested_at, m.id))


def replay(participant: Participant, mutations: list[Mutation], as_of: date) -> State:
    """Applies every mutation effective on or before `as_of`, so a retroactive one slots in before later ones."""
    state = State(participant.fulltime_salary, participant.parttime_percentage, ParticipantStatus.active, None)
    for mutation in mutations:
        if mutation.effective_date > as_of:
            break
        values = mutation.payload
        if mutation.type in (MutationType.new_participation, MutationType.salary_change):
            if values.get("fulltime_salary") is not None:
                state.fulltime_salary = Decimal(values["fulltime_salary"])
            if values.get("parttime_percentage") is not None:
                state.parttime_percentage = Decimal(values["parttime_percentage"])
        if mutation.type is MutationType.new_participation:
            state.status, state.termination_date = ParticipantStatus.active, None
        elif mutation.type is MutationType.termination:
            state.status, state.termination_date = ParticipantStatus.dormant, mutation.effective_date
    return state


def recompute(session: Session, participant: Participant) -> None:
    """Brings the participant's stored state and its mutations' statuses up to date as of today."""
    current = today()
    mutations = history(session, participant.id)
    state = replay(participant, mutations, current)
    participant.fulltime_salary = state.fulltime_salary
    participant.parttime_percentage = state.parttime_percentage
    participant.status = state.status
    participant.termination_date = state.termination_date
    for mutation in mutations:
        if mutation.status is MutationStatus.received and mutation.effective_date <= current:
            mutation.status = MutationStatus.processed


def pending_termination(mutations: list[Mutation]) -> date | None:
    """The effective date of a registered termination, whether it has taken effect yet or not."""
    return next((m.effective_date for m in mutations if m.type is MutationType.termination), None)


def apply_due_mutations(session: Session) -> int:
    """Recomputes every participant with a change whose effective date has come; returns how many."""
    participant_ids = session.scalars(
        select(Mutation.participant_id)
        .where(Mutation.status == MutationStatus.received, Mutation.effective_date <= today())
        .distinct()
    ).all()
    for participant_id in participant_ids:
        recompute(session, session.get(Participant, participant_id))
    session.commit()
    return len(participant_ids)
