"""Authentication endpoints: login, TOTP, chat token, the current user, the public signing key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from portal.accounts import management, service
from portal.accounts.dependencies import CurrentPrincipal, Principal, require
from portal.accounts.permissions import Permission
from portal.accounts.schemas import (
    AccessTokenResponse,
    AccountCreateRequest,
    AccountOut,
    ChatTokenRequest,
    ChatTokenResponse,
    EmployerOut,
    EnrolmentRequest,
    EnrolmentResponse,
    LoginRequest,
    LoginResponse,
    MeResponse,
    MfaRequest,
    SettingsUpdate,
)
from portal.accounts.security import signing_key
from portal.db import get_session
from portal.errors import forbidden
from portal.mail.service import deliver_later

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


@router.post("/auth/totp-enrolment", response_model=EnrolmentResponse)
def totp_enrolment(body: EnrolmentRequest, session: SessionDep) -> EnrolmentResponse:
    """Between step 1 and 2, the first time: the secret to link an authenticator app (the pages show it as a QR code)."""
    secret, uri = service.enrolment_for_login(session, body.mfa_token)
    return EnrolmentResponse(secret=secret, otpauth_uri=uri)


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


@router.post("/auth/logout", status_code=204)
def logout(request: Request, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """Ends this access token before it expires (log out, §3.3)."""
    if principal.conversation_id is not None:
        raise forbidden()  # a chat token is not a login session
    service.revoke_token(session, request.headers["authorization"].partition(" ")[2].strip())
    return Response(status_code=204)


@router.get("/me", response_model=MeResponse)
def me(principal: CurrentPrincipal) -> MeResponse:
    """The logged-in user, their roles, language and employer."""
    return _me(principal)


@router.patch("/me", response_model=MeResponse)
def update_settings(body: SettingsUpdate, principal: CurrentPrincipal, session: SessionDep) -> MeResponse:
    """The user's own settings (§3): language (nl, en) and light or dark mode, remembered on the account."""
    service.update_settings(session, principal.user, language=body.language, theme=body.theme, channel=principal.channel)
    return _me(principal)


def _me(principal: Principal) -> MeResponse:
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


ManageAccounts = Annotated[Principal, Depends(require(Permission.manage_accounts))]


def _account_out(view: management.AccountView, dry_run: bool = False) -> AccountOut:
    return AccountOut(**vars(view), dry_run=dry_run)


@router.get("/accounts", response_model=list[AccountOut], tags=["accounts"])
def list_accounts(principal: ManageAccounts, session: SessionDep) -> list[AccountOut]:
    """The portal accounts of the caller's employer, activated or still pending (§2; User Management)."""
    return [_account_out(view) for view in management.list_accounts(session, principal.employer_id)]


@router.post("/accounts", response_model=AccountOut, status_code=201, tags=["accounts"])
def create_account(
    body: AccountCreateRequest,
    principal: ManageAccounts,
    session: SessionDep,
    response: Response,
    background: BackgroundTasks,
    dry_run: Annotated[bool, Query(description="Validate only; nothing is created or sent")] = False,
) -> AccountOut:
    """A portal account for a colleague with one or more roles; its owner gets an e-mail to activate it (§2)."""
    if principal.conversation_id is not None:
        raise forbidden()  # accounts are created on the portal itself, not through a chat
    new = management.NewAccount(full_name=body.full_name, email=body.email, roles=list(body.roles), language=body.language)
    view = management.create_account(session, principal, new, dry_run=dry_run)
    if dry_run:
        response.status_code = 200
    else:
        deliver_later(background)
    return _account_out(view, dry_run)
