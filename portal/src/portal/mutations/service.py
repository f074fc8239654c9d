"""Submitting an individual mutation: idempotency, the rules, the history, the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal
from portal.accounts.security import request_fingerprint
from portal.audit.service import mask_bsn, record
from portal.dates import today
from portal.errors import N_, PortalError, Problem
from portal.mutations import rules
from portal.mutations.models import Channel, Mutation, MutationStatus, MutationType
from portal.mutations.schemas import FamilyMemberRequest, MutationRequest, MutationResponse, SalaryChangeRequest
from portal.mutations.state import history, recompute
from portal.participants.bsn import normalize_bsn
from portal.participants.models import FamilyMember, Participant, Relation
from portal.participants.service import get_participant


def _payload(request: MutationRequest) -> dict[str, Any]:
    # What the history keeps: the new values, never the BSN (the family member row holds it).
    if isinstance(request, SalaryChangeRequest):
        return {
            "fulltime_salary": None if request.salary is None else f"{request.salary:.2f}",
            "parttime_percentage": None
            if request.parttime_percentage is None
            else f"{request.parttime_percentage:.3f}",
        }
    if isinstance(request, FamilyMemberRequest):
        return {
            "relation": request.relation,
            "first_name": request.first_name.strip(),
            "infix": request.infix.strip(),
            "last_name": request.last_name.strip(),
            "birth_date": request.birth_date.isoformat(),
            "bsn_masked": mask_bsn(normalize_bsn(request.bsn)),
        }
    return {}


def _effective_date(request: MutationRequest) -> Any:
    return request.effective_date or today()


def to_response(mutation: Mutation) -> MutationResponse:
    """The API form of a stored mutation."""
    return MutationResponse(
        id=mutation.id,
        type=mutation.type.value,
        status=mutation.status.value,
        effective_date=mutation.effective_date,
        requested_at=mutation.requested_at,
        channel=mutation.channel.value,
        participant=mutation.participant.number,
        payload=mutation.payload,
    )


def _problems(session: Session, request: MutationRequest, participant: Participant) -> list[Problem]:
    past = history(session, participant.id)
    problems = rules.effective_date_problems(_effective_date(request), participant, past)
    if isinstance(request, SalaryChangeRequest):
        problems += rules.salary_change_problems(request)
    elif isinstance(request, FamilyMemberRequest):
        problems += rules.family_member_problems(request, participant)
    else:
        # An existing termination says it all; the date checks would only repeat it.
        problems = rules.termination_problems(past) or problems
    return problems


def replayed(session: Session, employer_id: int, key: str, fingerprint: str) -> Mutation | None:
    """The mutation made earlier with this Idempotency-Key; 422 when the key came with another request."""
    existing = session.scalar(
        select(Mutation).where(Mutation.employer_id == employer_id, Mutation.idempotency_key == key)
    )
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise PortalError(
            422,
            Problem(
                "idempotency_key_reused",
                N_("This Idempotency-Key was already used for a different request."),
                "Idempotency-Key",
            ),
        )
    return existing


def submit(
    session: Session,
    principal: Principal,
    number: str,
    request: MutationRequest,
    *,
    idempotency_key: str | None,
    dry_run: bool,
) -> tuple[MutationResponse, bool]:
    """Validates and (unless dry_run) records a mutation; returns it and whether it was new."""
    employer_id = principal.employer_id
    participant = get_participant(session, employer_id, number)
    if not dry_run:
        # One change per participant at a time (SELECT ... FOR UPDATE on PostgreSQL; SQLite has one writer
        # anyway): two users confirming at once are checked and recorded one after the other, and the
        # second one's recompute sees the first one's change instead of overwriting its effect.
        session.refresh(participant, with_for_update=True)
    kind = rules.type_of(request)
    fingerprint = request_fingerprint(number, kind.value, json.dumps(request.model_dump(mode="json"), sort_keys=True))
    if idempotency_key and not dry_run:
        existing = replayed(session, employer_id, idempotency_key, fingerprint)
        if existing is not None:
            return to_response(existing), False
    audit = {
        "actor_user_id": principal.user.id,
        "actor_username": principal.user.username,
        "employer_id": employer_id,
        "channel": principal.channel,
        "target": participant.number,
    }
    try:
        rules.ensure_no_collective_processing(session, employer_id)
        rules.ensure_changeable(participant)
        problems = _problems(session, request, participant)
        if problems:
            raise PortalError(422, *problems)
    except PortalError as error:
        if not dry_run:
            record(session, action=kind.value, outcome="refused", detail={"codes": [p.code for p in error.problems]}, **audit)
            session.commit()
        raise
    effective = _effective_date(request)
    if dry_run:
        preview = MutationResponse(
            id=None,
            type=kind.value,
            status="dry_run",
            effective_date=effective,
            requested_at=None,
            channel=principal.channel,
            participant=participant.number,
            payload=_payload(request),
            dry_run=True,
        )
        return preview, False
    mutation = Mutation(
        employer_id=employer_id,
        participant=participant,
        type=kind,
        effective_date=effective,
        requested_at=datetime.now(UTC).replace(tzinfo=None),
        status=MutationStatus.received,
        requested_by_id=principal.user.id,
        channel=Channel(principal.channel),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        payload=_payload(request),
    )
    session.add(mutation)
    if isinstance(request, FamilyMemberRequest):
        session.add(
            FamilyMember(
                participant=participant,
                relation=Relation(request.relation),
                first_name=request.first_name.strip(),
                infix=request.infix.strip(),
                last_name=request.last_name.strip(),
                birth_date=request.birth_date,
                bsn=normalize_bsn(request.bsn),
            )
        )
    try:
        session.flush()
        recompute(session, participant)
        record(session, action=kind.value, outcome="accepted", detail={"mutation_id": mutation.id}, **audit)
        session.commit()
    except IntegrityError:
        # Two requests with the same key at once: the other one won; answer with its mutation.
        session.rollback()
        existing = replayed(session, employer_id, idempotency_key, fingerprint) if idempotency_key else None
        if existing is None:
            raise
        return to_response(existing), False
    return to_response(mutation), True


def latest_per_participant(session: Session, employer_id: int) -> list[Mutation]:
    """R12: per participant the latest change by effective date, newest requests first."""
    mutations = session.scalars(
        select(Mutation).where(Mutation.employer_id == employer_id, Mutation.status != MutationStatus.rejected)
    ).all()
    latest: dict[int, Mutation] = {}
    for mutation in mutations:
        current = latest.get(mutation.participant_id)
        key = (mutation.effective_date, mutation.requested_at, mutation.id)
        if current is None or key > (current.effective_date, current.requested_at, current.id):
            latest[mutation.participant_id] = mutation
    return sorted(latest.values(), key=lambda m: (m.requested_at, m.id), reverse=True)


__all__ = ["MutationType", "latest_per_participant", "submit", "to_response"]
