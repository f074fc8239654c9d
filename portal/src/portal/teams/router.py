"""Endpoints for the Teams connector only (service credential): link, unlink, chat tokens, conversation references."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from portal.db import get_session
from portal.teams import service
from portal.teams.credential import require_channel_service
from portal.teams.schemas import (
    ChatTokenRequest,
    ConversationReferenceResponse,
    LinkRequest,
    LinkResponse,
    TeamsChatTokenResponse,
)

router = APIRouter(
    prefix="/api/channels/teams",
    tags=["teams"],
    dependencies=[Depends(require_channel_service)],
    responses={401: {"description": "Not the channel connectors' service credential"}},
)
SessionDep = Annotated[Session, Depends(get_session)]


@router.post(
    "/links",
    response_model=LinkResponse,
    status_code=201,
    responses={
        401: {"description": "Wrong username or code, or not the service credential"},
        403: {"description": "The user may not use the assistant"},
        429: {"description": "Too many failed attempts for this username"},
    },
)
def link(body: LinkRequest, session: SessionDep) -> LinkResponse:
    """Links a Teams user to the portal user whose current TOTP code they typed (a re-link replaces)."""
    user = service.link(session, body.tenant_id, body.aad_object_id, body.username, body.code)
    return LinkResponse(username=user.username, full_name=user.full_name, language=user.language)


@router.delete(
    "/links/{tenant_id}/{aad_object_id}", status_code=204, responses={404: {"description": "Not linked"}}
)
def unlink(tenant_id: str, aad_object_id: str, session: SessionDep) -> Response:
    """Removes a Teams user's link."""
    service.unlink(session, tenant_id, aad_object_id)
    return Response(status_code=204)


@router.post(
    "/chat-token",
    response_model=TeamsChatTokenResponse,
    responses={
        403: {"description": "The linked portal user is deactivated or may not chat; the link is removed"},
        404: {"description": "not_linked: this Teams user has no link"},
    },
)
def chat_token(body: ChatTokenRequest, session: SessionDep) -> TeamsChatTokenResponse:
    """A chat token (channel teams) for the linked user's Teams conversation; stores where to reply."""
    token, conversation_id, expires_in, language = service.chat_token(
        session, body.tenant_id, body.aad_object_id, body.conversation_reference
    )
    return TeamsChatTokenResponse(
        token=token, conversation_id=conversation_id, expires_in=expires_in, language=language
    )


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationReferenceResponse,
    responses={404: {"description": "No Teams conversation with this id"}},
)
def conversation(conversation_id: str, session: SessionDep) -> ConversationReferenceResponse:
    """Where the Bot Connector writes into this Teams conversation (for a service-desk reply after a restart)."""
    return ConversationReferenceResponse(
        conversation_id=conversation_id,
        conversation_reference=service.conversation_reference(session, conversation_id),
    )
