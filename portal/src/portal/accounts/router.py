"""Authentication endpoints: login, TOTP, chat token, the current user, the public signing key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from portal.accounts import service
from portal.accounts.dependencies import CurrentPrincipal, Principal, require
from portal.accounts.permissions import Permission
from portal.accounts.schemas import (
    AccessTokenResponse,
    ChatTokenRequest,
    ChatTokenResponse,
    EmployerOut,
    LoginRequest,
    LoginResponse,
    MeResponse,
    MfaRequest,
)
from portal.accounts.security import signing_key
from portal.db import get_session
from portal.errors import forbidden

router = APIRouter(prefix="/api", tags=["accounts"])
SessionDep = Annotated[Session, Depends(get_session)]


@router.post("/auth/login", response_model=LoginResponse)
def login(body: LoginRequest, session: SessionDep) -> LoginResponse:
    """Step 1: username and password."""
    return LoginResponse(mfa_token=service.login(session, body.username, body.password))


@router.post("/auth/mfa", response_model=AccessTokenResponse)
def mfa(body: MfaRequest, session: SessionDep) -> AccessTokenResponse:
    """Step 2: the code from the authenticator app."""
    token, expires_in = service.verify_mfa(session, body.mfa_token, body.code)
    return AccessTokenResponse(access_token=token, expires_in=expires_in)


@router.get("/auth/jwks")
def jwks() -> dict[str, list[dict]]:
    """The public key that chat channels verify chat tokens with."""
    return {"keys": [signing_key().jwk()]}


@router.post("/chat/token", response_model=ChatTokenResponse)
def chat_token(
    principal: Annotated[Principal, Depends(require(Permission.use_chat))],
    session: SessionDep,
    body: ChatTokenRequest | None = None,
) -> ChatTokenResponse:
    """A short-lived token for the assistant, bound to one conversation of this user."""
    if principal.conversation_id is not None:
        raise forbidden()  # a chat token cannot mint more chat tokens
    token, conversation_id, expires_in = service.chat_token_for(
        session, principal.user, body.conversation_id if body else None
    )
    return ChatTokenResponse(token=token, conversation_id=conversation_id, expires_in=expires_in)


@router.get("/me", response_model=MeResponse)
def me(principal: CurrentPrincipal) -> MeResponse:
    """The logged-in user, their roles, language and employer."""
    user = principal.user
    employer = EmployerOut(id=user.employer.id, name=user.employer.name) if user.employer else None
    return MeResponse(
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        roles=list(user.roles),
        language=user.language,
        theme=user.theme,
        employer=employer,
    )
