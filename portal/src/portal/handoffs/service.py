"""Handing a conversation to the service desk, and the desk's queue: list, read, resolve."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.accounts.dependencies import Principal
from portal.accounts.models import ChatConversation
from portal.audit.service import mask_bsns, record
from portal.errors import N_, PortalError, Problem, not_found
from portal.handoffs.models import Handoff, HandoffChannel, HandoffStatus
from portal.handoffs.schemas import HandoffDetail, HandoffOut, HandoffRequest, ResolveRequest, TranscriptEntry


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _audit(principal: Principal, handoff: Handoff) -> dict[str, object]:
    return {
        "actor_user_id": principal.user.id,
        "actor_username": principal.user.username,
        "employer_id": handoff.employer_id,
        "channel": principal.channel,
        "target": str(handoff.id),
    }


def _ensure_own_conversation(session: Session, principal: Principal, conversation_id: str) -> None:
    # A chat token is bound to its conversation (sid); with an access token, a conversation the
    # portal issued to someone else is not the caller's to hand over.
    if principal.conversation_id is not None:
        own = conversation_id == principal.conversation_id
    else:
        conversation = session.get(ChatConversation, conversation_id)
        own = conversation is None or conversation.user_id == principal.user.id
    if not own:
        raise PortalError(
            403,
            Problem("conversation_mismatch", N_("You can only hand over your own conversation."), "conversation_id"),
        )


def _open_handoff(session: Session, user_id: int, conversation_id: str) -> Handoff | None:
    return session.scalar(
        select(Handoff).where(
            Handoff.requested_by_id == user_id,
            Handoff.conversation_id == conversation_id,
            Handoff.status == HandoffStatus.open,
        )
    )


def _channel(principal: Principal, body: HandoffRequest) -> HandoffChannel:
    # A chat token says which channel it was issued for; that beats what the caller reports.
    if principal.conversation_id is not None and principal.channel in HandoffChannel._value2member_map_:
        return HandoffChannel(principal.channel)
    return body.channel


def request_handoff(session: Session, principal: Principal, body: HandoffRequest) -> tuple[Handoff, bool]:
    """Records a handoff, or returns the conversation's open one; says whether it is new."""
    _ensure_own_conversation(session, principal, body.conversation_id)
    existing = _open_handoff(session, principal.user.id, body.conversation_id)
    if existing is not None:
        return existing, False
    summary = (body.summary or "").strip()
    handoff = Handoff(
        employer_id=principal.employer_id,
        requested_by_id=principal.user.id,
        conversation_id=body.conversation_id,
        channel=_channel(principal, body),
        reason=body.reason,
        language=body.language,
        summary=mask_bsns(summary) or None,
        transcript=[
            {"sender": entry.sender, "text": mask_bsns(entry.text), "timestamp": entry.timestamp.isoformat()}
            for entry in body.transcript
        ],
        status=HandoffStatus.open,
        created_at=_now(),
    )
    session.add(handoff)
    try:
        session.flush()
    except IntegrityError:
        # The same request twice at once (a retry): the other one won; answer with its handoff.
        session.rollback()
        existing = _open_handoff(session, principal.user.id, body.conversation_id)
        if existing is None:
            raise
        return existing, False
    detail = {"reason": handoff.reason.value, "handoff_channel": handoff.channel.value}
    record(session, action="handoff", outcome="requested", detail=detail, **_audit(principal, handoff))
    session.commit()
    return handoff, True


def list_handoffs(session: Session, status: HandoffStatus | None) -> list[Handoff]:
    """Every employer's handoffs, newest first, optionally only open or only resolved ones."""
    query = select(Handoff).options(
        joinedload(Handoff.employer), joinedload(Handoff.requested_by), joinedload(Handoff.resolved_by)
    )
    if status is not None:
        query = query.where(Handoff.status == status)
    return list(session.scalars(query.order_by(Handoff.created_at.desc(), Handoff.id.desc())).all())


def get_handoff(session: Session, handoff_id: int) -> Handoff:
    """One handoff, or 404."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise not_found("handoff")
    return handoff


def resolve(session: Session, principal: Principal, handoff_id: int, body: ResolveRequest) -> Handoff:
    """Marks an open handoff resolved with the desk's note; 409 when it was resolved already."""
    handoff = get_handoff(session, handoff_id)
    note = body.note.strip()
    if not note:
        raise PortalError(422, Problem("required", N_("This field is required."), "note"))
    # Conditional on still being open, so two colleagues resolving at once cannot both succeed.
    resolved = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.open)
        .values(
            status=HandoffStatus.resolved,
            resolved_at=_now(),
            resolved_by_id=principal.user.id,
            resolution_note=mask_bsns(note),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not resolved:
        session.rollback()
        session.refresh(handoff)
        by = handoff.resolved_by.username if handoff.resolved_by else "?"
        raise PortalError(
            409,
            Problem("already_resolved", N_("This handoff has already been resolved by {user}."), params={"user": by}),
        )
    record(session, action="handoff_resolve", outcome="resolved", **_audit(principal, handoff))
    session.commit()
    session.refresh(handoff)
    return handoff


def to_out(handoff: Handoff) -> HandoffOut:
    """The queue row of a handoff, with the employer's name and the requesting username."""
    return HandoffOut(
        id=handoff.id,
        status=handoff.status,
        reason=handoff.reason,
        channel=handoff.channel,
        language=handoff.language,
        conversation_id=handoff.conversation_id,
        summary=handoff.summary,
        employer_id=handoff.employer_id,
        employer_name=handoff.employer.name,
        requested_by=handoff.requested_by.username,
        requested_by_name=handoff.requested_by.full_name,
        created_at=handoff.created_at,
        resolved_at=handoff.resolved_at,
        resolved_by=handoff.resolved_by.username if handoff.resolved_by else None,
        resolution_note=handoff.resolution_note,
    )


def to_detail(handoff: Handoff) -> HandoffDetail:
    """A handoff with its (masked) transcript."""
    transcript = [TranscriptEntry.model_validate(entry) for entry in handoff.transcript]
    return HandoffDetail(**to_out(handoff).model_dump(), transcript=transcript)
