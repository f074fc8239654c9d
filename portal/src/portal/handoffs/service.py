"""Handing a conversation to the service desk, and the desk's console: list, read, take over, reply, give back, resolve.

While a handoff waits or a colleague has it, the assistant is paused; giving it back or resolving resumes it.
Rasa is told first inside the database transaction, so a failed call to Rasa leaves the handoff as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.accounts.dependencies import Principal
from portal.accounts.models import ChatConversation
from portal.audit.service import mask_bsns, record
from portal.errors import N_, PortalError, Problem, not_found
from portal.handoffs.models import Handoff, HandoffChannel, HandoffStatus
from portal.handoffs.rasa import RasaClient, assistant_not_connected, live_messages, newest_timestamp, rasa_client
from portal.handoffs.schemas import (
    HandoffDetail,
    HandoffOut,
    HandoffRequest,
    LiveConversation,
    LiveMessageOut,
    ReplyRequest,
    ResolveRequest,
    TranscriptEntry,
)
from portal.i18n import translate

# What the user reads in the chat when a colleague takes over and when the assistant is back.
TAKEN_NOTICE = N_("A colleague of the service desk is now helping you.")
GIVEN_BACK_NOTICE = N_("The assistant is back.")


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
        if existing.returned_at is not None:
            _requeue(session, principal, existing, body)
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
        transcript=_masked_transcript(body),
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


def _masked_transcript(body: HandoffRequest) -> list[dict[str, object]]:
    return [
        {"sender": entry.sender, "text": mask_bsns(entry.text), "timestamp": entry.timestamp.isoformat()}
        for entry in body.transcript
    ]


def _requeue(session: Session, principal: Principal, handoff: Handoff, body: HandoffRequest) -> None:
    # The desk gave the conversation back and the user asks for a person again: it waits in the queue
    # again, with the new reason and the whole conversation; created_at is when it (re)joined the queue.
    handoff.reason = body.reason
    handoff.summary = mask_bsns((body.summary or "").strip()) or None
    handoff.transcript = _masked_transcript(body)
    handoff.created_at = _now()
    handoff.assigned_to_id = handoff.taken_at = handoff.returned_at = None
    detail = {"reason": handoff.reason.value, "handoff_channel": handoff.channel.value}
    record(session, action="handoff", outcome="requeued", detail=detail, **_audit(principal, handoff))
    session.commit()
    session.refresh(handoff)


def list_handoffs(session: Session, status: HandoffStatus | None) -> list[Handoff]:
    """Every employer's handoffs, newest first, optionally only open or only resolved ones."""
    query = select(Handoff).options(
        joinedload(Handoff.employer),
        joinedload(Handoff.requested_by),
        joinedload(Handoff.resolved_by),
        joinedload(Handoff.assigned_to),
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


def desk_state(handoff: Handoff) -> str:
    """waiting (in the queue, assistant paused), taken (a colleague has it), given_back, or resolved."""
    if handoff.status == HandoffStatus.resolved:
        return "resolved"
    if handoff.returned_at is not None:
        return "given_back"
    return "taken" if handoff.assigned_to_id is not None else "waiting"


def taken_by(handoff: Handoff) -> str | None:
    """The username of the colleague who has the conversation now, if anyone."""
    return handoff.assigned_to.username if desk_state(handoff) == "taken" and handoff.assigned_to else None


def _already_resolved(handoff: Handoff) -> PortalError:
    by = handoff.resolved_by.username if handoff.resolved_by else "?"
    return PortalError(
        409, Problem("already_resolved", N_("This handoff has already been resolved by {user}."), params={"user": by})
    )


def _taken_by_other(handoff: Handoff) -> PortalError:
    by = handoff.assigned_to.username if handoff.assigned_to else "?"
    return PortalError(
        409, Problem("taken_by_other", N_("{user} has taken over this conversation."), params={"user": by})
    )


def _ensure_open_and_not_others(handoff: Handoff, principal: Principal) -> None:
    # Only one colleague talks to the user at a time; the others may read along.
    if handoff.status == HandoffStatus.resolved:
        raise _already_resolved(handoff)
    if desk_state(handoff) == "taken" and handoff.assigned_to_id != principal.user.id:
        raise _taken_by_other(handoff)


def _conflict_after_race(session: Session, handoff: Handoff, principal: Principal) -> PortalError:
    # A conditional update found nothing: someone else got there first; say who did what.
    session.rollback()
    session.refresh(handoff)
    try:
        _ensure_open_and_not_others(handoff, principal)
    except PortalError as error:
        return error
    return PortalError(409, Problem("conflict", N_("Someone else changed this handoff just now. Please reload.")))


def _client() -> RasaClient:
    client = rasa_client()
    if client is None:
        raise assistant_not_connected()
    return client


def _undo_on_failure(session: Session, call: Callable[[], None]) -> None:
    # The database change is still uncommitted: a failed call to Rasa undoes it.
    try:
        call()
    except Exception:
        session.rollback()
        raise


def _not_held_by_others(principal: Principal) -> ColumnElement[bool]:
    return or_(
        Handoff.assigned_to_id.is_(None), Handoff.assigned_to_id == principal.user.id, Handoff.returned_at.is_not(None)
    )


def take(session: Session, principal: Principal, handoff_id: int) -> Handoff:
    """Takes the conversation over: assigns it to the caller and silences the assistant; 409 if someone else has it."""
    handoff = get_handoff(session, handoff_id)
    _ensure_open_and_not_others(handoff, principal)
    if desk_state(handoff) == "taken":
        return handoff  # the caller has it already
    client = _client()
    taken = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.open, _not_held_by_others(principal))
        .values(assigned_to_id=principal.user.id, taken_at=_now(), returned_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise _conflict_after_race(session, handoff, principal)
    notice = translate(TAKEN_NOTICE, handoff.language)
    _undo_on_failure(session, lambda: client.pause(handoff.conversation_id, notice))
    record(session, action="handoff_take", outcome="taken", **_audit(principal, handoff))
    session.commit()
    session.refresh(handoff)
    return handoff


def reply(session: Session, principal: Principal, handoff_id: int, body: ReplyRequest) -> None:
    """Sends the colleague's message to the user; only the one who took the conversation over may."""
    handoff = get_handoff(session, handoff_id)
    _ensure_open_and_not_others(handoff, principal)
    if desk_state(handoff) != "taken":
        raise PortalError(409, Problem("not_taken", N_("Take the conversation over before you reply.")))
    text = body.text.strip()
    if not text:
        raise PortalError(422, Problem("required", N_("This field is required."), "text"))
    _client().say(handoff.conversation_id, text)
    # What was written stays in the assistant's conversation; the audit only says that something was.
    record(session, action="handoff_reply", outcome="sent", **_audit(principal, handoff))
    session.commit()


def give_back(session: Session, principal: Principal, handoff_id: int) -> Handoff:
    """Resumes the assistant and tells the user; the handoff stays open until it is resolved."""
    handoff = get_handoff(session, handoff_id)
    _ensure_open_and_not_others(handoff, principal)
    if desk_state(handoff) == "given_back":
        raise PortalError(409, Problem("already_given_back", N_("The assistant already has this conversation again.")))
    client = _client()
    returned = session.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff_id,
            Handoff.status == HandoffStatus.open,
            Handoff.returned_at.is_(None),
            _not_held_by_others(principal),
        )
        .values(returned_at=_now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not returned:
        raise _conflict_after_race(session, handoff, principal)
    notice = translate(GIVEN_BACK_NOTICE, handoff.language)
    _undo_on_failure(session, lambda: client.resume(handoff.conversation_id, notice))
    record(session, action="handoff_give_back", outcome="given_back", **_audit(principal, handoff))
    session.commit()
    session.refresh(handoff)
    return handoff


def resolve(session: Session, principal: Principal, handoff_id: int, body: ResolveRequest) -> Handoff:
    """Resolves an open handoff with the desk's note; a conversation still paused goes back to the assistant.

    409 when it was resolved already or another colleague has it. Without a connected assistant
    (PORTAL_RASA_URL empty) there is nothing to resume.
    """
    handoff = get_handoff(session, handoff_id)
    note = body.note.strip()
    if not note:
        raise PortalError(422, Problem("required", N_("This field is required."), "note"))
    _ensure_open_and_not_others(handoff, principal)
    paused = desk_state(handoff) in ("waiting", "taken")
    client = rasa_client() if paused else None
    now = _now()
    # Conditional on still being open (and nobody else's), so two colleagues at once cannot both succeed.
    resolved = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.open, _not_held_by_others(principal))
        .values(
            status=HandoffStatus.resolved,
            resolved_at=now,
            resolved_by_id=principal.user.id,
            resolution_note=mask_bsns(note),
            **({"returned_at": now} if client is not None else {}),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not resolved:
        raise _conflict_after_race(session, handoff, principal)
    if client is not None:
        notice = translate(GIVEN_BACK_NOTICE, handoff.language)
        _undo_on_failure(session, lambda: client.resume(handoff.conversation_id, notice))
    record(session, action="handoff_resolve", outcome="resolved", **_audit(principal, handoff))
    session.commit()
    session.refresh(handoff)
    return handoff


def live_conversation(session: Session, handoff_id: int, after: float) -> LiveConversation:
    """The conversation since the handoff, live from the assistant: messages newer than `after`, BSNs masked."""
    handoff = get_handoff(session, handoff_id)
    tracker = _client().tracker(handoff.conversation_id)
    events = tracker.get("events") or []
    messages = live_messages(events, handoff.created_at, after)
    return LiveConversation(
        messages=[LiveMessageOut(**vars(message)) for message in messages],
        cursor=newest_timestamp(events, after),
        paused=bool(tracker.get("paused")),
        desk_state=desk_state(handoff),
        taken_by=taken_by(handoff),
    )


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
        desk_state=desk_state(handoff),
        taken_by=taken_by(handoff),
        taken_at=handoff.taken_at,
        returned_at=handoff.returned_at,
    )


def to_detail(handoff: Handoff) -> HandoffDetail:
    """A handoff with its (masked) transcript."""
    transcript = [TranscriptEntry.model_validate(entry) for entry in handoff.transcript]
    return HandoffDetail(**to_out(handoff).model_dump(), transcript=transcript)
