"""Registering a new participant: the rules, the participant and its first mutation, idempotency, the audit log.

The individual form (API and page) and the collective upload use the same functions, so a workbook row is
checked exactly as the form would check it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal
from portal.accounts.security import request_fingerprint
from portal.audit.service import record
from portal.employers.models import Scheme
from portal.errors import PortalError
from portal.mutations import rules as mutation_rules
from portal.mutations.models import Channel, Mutation, MutationStatus, MutationType
from portal.mutations.schemas import MutationResponse
from portal.mutations.service import replayed, to_response
from portal.mutations.state import recompute
from portal.participants.bsn import normalize_bsn
from portal.participants.models import Participant, ParticipantStatus
from portal.participants.search import search_text, sort_name
from portal.registration import rules
from portal.registration.schemas import NewParticipantRequest

NUMBER_ATTEMPTS = 5


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def next_number(session: Session, employer_id: int) -> str:
    """The employer's next participant number: one above the highest so far (seven digits)."""
    highest = session.scalar(select(func.max(Participant.number)).where(Participant.employer_id == employer_id))
    if highest is None or not highest.isdigit():
        return str((employer_id + 1) * 1_000_000 + 1)
    return str(int(highest) + 1)


def payload(request: NewParticipantRequest, scheme: Scheme, reasons: list[str], **extra: Any) -> dict[str, Any]:
    """What the history keeps of a registration: the starting values, never the BSN."""
    return {
        "fulltime_salary": f"{request.salary:.2f}",
        "parttime_percentage": f"{request.parttime_percentage:.3f}",
        "scheme": scheme.number,
        "additional_checks": reasons,
        **extra,
    }


def create(
    session: Session,
    employer_id: int,
    request: NewParticipantRequest,
    scheme: Scheme,
    *,
    requested_by_id: int | None,
    channel: Channel,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Mutation:
    """Adds the participant and its new-participation mutation to the session (flushed, not committed)."""
    reasons = rules.additional_check_reasons(session, employer_id, request)
    initials = request.initials_or_derived
    participant = Participant(
        employer_id=employer_id,
        scheme=scheme,
        number=next_number(session, employer_id),
        first_name=request.first_name,
        initials=initials,
        infix=request.infix,
        last_name=request.last_name,
        gender=request.gender_code,
        birth_date=request.birth_date,
        bsn=normalize_bsn(request.bsn),
        date_in_service=request.date_in_service,
        # The starting values also before the start date, so a future participant is listed with them.
        fulltime_salary=request.salary,
        parttime_percentage=request.parttime_percentage,
        status=ParticipantStatus.active,
        termination_date=None,
        search_text=search_text(request.first_name, initials, request.infix, request.last_name),
        sort_name=sort_name(request.infix, request.last_name, initials),
    )
    mutation = Mutation(
        employer_id=employer_id,
        participant=participant,
        type=MutationType.new_participation,
        effective_date=request.date_in_service,
        requested_at=_now(),
        status=MutationStatus.additional_checks if reasons else MutationStatus.received,
        requested_by_id=requested_by_id,
        channel=channel,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        payload=payload(request, scheme, reasons, **(extra or {})),
    )
    session.add_all([participant, mutation])
    session.flush()
    recompute(session, participant)
    return mutation


def _preview(request: NewParticipantRequest, scheme: Scheme, reasons: list[str], channel: str) -> MutationResponse:
    return MutationResponse(
        id=None,
        type=MutationType.new_participation.value,
        status="dry_run",
        effective_date=request.date_in_service,
        requested_at=None,
        channel=channel,
        participant="",
        payload=payload(request, scheme, reasons),
        dry_run=True,
    )


def register(
    session: Session,
    principal: Principal,
    request: NewParticipantRequest,
    *,
    idempotency_key: str | None,
    dry_run: bool,
) -> tuple[MutationResponse, bool]:
    """Validates and (unless dry_run) registers a new participant; returns the mutation and whether it was new."""
    employer_id = principal.employer_id
    fingerprint = request_fingerprint("new_participation", json.dumps(request.model_dump(mode="json"), sort_keys=True))
    if idempotency_key and not dry_run:
        existing = replayed(session, employer_id, idempotency_key, fingerprint)
        if existing is not None:
            return to_response(existing), False
    audit = {
        "actor_user_id": principal.user.id,
        "actor_username": principal.user.username,
        "employer_id": employer_id,
        "channel": principal.channel,
    }
    try:
        mutation_rules.ensure_no_collective_processing(session, employer_id)
        scheme, problems = rules.registration_problems(session, employer_id, request, collective=False)
        if problems or scheme is None:
            raise PortalError(422, *problems)
    except PortalError as error:
        if not dry_run:
            codes = [p.code for p in error.problems]
            record(session, action="new_participation", outcome="refused", detail={"codes": codes}, **audit)
            session.commit()
        raise
    if dry_run:
        reasons = rules.additional_check_reasons(session, employer_id, request)
        return _preview(request, scheme, reasons, principal.channel), False
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            mutation = create(
                session, employer_id, request, scheme, requested_by_id=principal.user.id,
                channel=Channel(principal.channel), idempotency_key=idempotency_key, fingerprint=fingerprint,
            )
            record(session, action="new_participation", outcome="accepted", target=mutation.participant.number,
                   detail={"mutation_id": mutation.id, "status": mutation.status.value}, **audit)
            session.commit()
            return to_response(mutation), True
        except IntegrityError:
            # Another registration took the number, or the same key won a race: look again.
            session.rollback()
            existing = replayed(session, employer_id, idempotency_key, fingerprint) if idempotency_key else None
            if existing is not None:
                return to_response(existing), False
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
