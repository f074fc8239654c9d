"""Handoff endpoints: employer users (through the assistant) hand over; the service desk handles the queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require, require_staff
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.handoffs import service
from portal.handoffs.models import HandoffStatus
from portal.handoffs.schemas import (
    HandoffDetail,
    HandoffOut,
    HandoffRequest,
    LiveConversation,
    ReplyRequest,
    ResolveRequest,
)

router = APIRouter(prefix="/api/handoffs", tags=["handoffs"])
Requester = Annotated[Principal, Depends(require(Permission.request_handoff))]
Desk = Annotated[Principal, Depends(require_staff(Permission.handle_handoffs))]
SessionDep = Annotated[Session, Depends(get_session)]
NOT_FOUND = {404: {"description": "No such handoff"}}
ASSISTANT_DOWN = {503: {"description": "The assistant (Rasa) cannot be reached or is not connected"}}


@router.post(
    "",
    response_model=HandoffDetail,
    status_code=201,
    responses={
        200: {"description": "This conversation already has an open handoff; that one is returned"},
        403: {"description": "The role does not allow it, or the conversation is not the caller's"},
        422: {"description": "Invalid body: {errors: [{code, field, message}]}"},
    },
)
def request_handoff(body: HandoffRequest, principal: Requester, session: SessionDep, response: Response) -> HandoffDetail:
    """Hands the conversation to the service desk; BSN-like numbers are masked before storing."""
    handoff, created = service.request_handoff(session, principal, body)
    if not created:
        response.status_code = 200
    return service.to_detail(handoff)


@router.get("", response_model=list[HandoffOut])
def list_handoffs(principal: Desk, session: SessionDep, status: HandoffStatus | None = None) -> list[HandoffOut]:
    """The service desk's queue across all employers, newest first (transcripts in the detail)."""
    return [service.to_out(h) for h in service.list_handoffs(session, status)]


@router.get("/{handoff_id}", response_model=HandoffDetail, responses={404: {"description": "No such handoff"}})
def get_handoff(handoff_id: int, principal: Desk, session: SessionDep) -> HandoffDetail:
    """One handoff with its transcript."""
    return service.to_detail(service.get_handoff(session, handoff_id))


@router.post(
    "/{handoff_id}/resolve",
    response_model=HandoffDetail,
    responses={**NOT_FOUND, 409: {"description": "Already resolved, or another colleague has it"}, **ASSISTANT_DOWN},
)
def resolve_handoff(handoff_id: int, body: ResolveRequest, principal: Desk, session: SessionDep) -> HandoffDetail:
    """Marks the handoff resolved, with what the service desk did; a paused conversation goes back to the assistant."""
    return service.to_detail(service.resolve(session, principal, handoff_id, body))


@router.post(
    "/{handoff_id}/take",
    response_model=HandoffDetail,
    responses={**NOT_FOUND, 409: {"description": "Resolved, or another colleague has it"}, **ASSISTANT_DOWN},
)
def take_handoff(handoff_id: int, principal: Desk, session: SessionDep) -> HandoffDetail:
    """Takes the conversation over: the assistant stays silent and the caller may reply."""
    return service.to_detail(service.take(session, principal, handoff_id))


@router.get("/{handoff_id}/messages", response_model=LiveConversation, responses={**NOT_FOUND, **ASSISTANT_DOWN})
def live_messages(
    handoff_id: int,
    principal: Desk,
    session: SessionDep,
    after: Annotated[float, Query(ge=0, description="The `cursor` of the previous answer")] = 0,
) -> LiveConversation:
    """The conversation since the handoff, live from the assistant (BSNs masked); poll with `after`."""
    return service.live_conversation(session, handoff_id, after)


@router.post(
    "/{handoff_id}/messages",
    status_code=204,
    response_class=Response,
    responses={**NOT_FOUND, 409: {"description": "Not taken over by the caller, or resolved"}, **ASSISTANT_DOWN},
)
def send_message(handoff_id: int, body: ReplyRequest, principal: Desk, session: SessionDep) -> Response:
    """Sends a message to the user in their chat; only by the colleague who took the conversation over."""
    service.reply(session, principal, handoff_id, body)
    return Response(status_code=204)


@router.post(
    "/{handoff_id}/give-back",
    response_model=HandoffDetail,
    responses={**NOT_FOUND, 409: {"description": "Resolved, given back already, or another colleague has it"}, **ASSISTANT_DOWN},
)
def give_back(handoff_id: int, principal: Desk, session: SessionDep) -> HandoffDetail:
    """Gives the conversation back to the assistant, which tells the user; the handoff stays open."""
    return service.to_detail(service.give_back(session, principal, handoff_id))
