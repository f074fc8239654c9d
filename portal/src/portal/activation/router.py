"""Activation and recovery endpoints (§1): public, since their callers cannot log in yet.

Each flow: start with an e-mail address (the same answer whether or not it has an account), verify the
code from the e-mail, complete. The pages (`portal.activation.pages`) call the same service functions.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from sqlalchemy.orm import Session

from portal.activation import service
from portal.activation.passwords import assess
from portal.activation.schemas import (
    ActivatedResponse,
    ActivationRequest,
    CodeRequestResponse,
    EmailRequest,
    MessageResponse,
    NewPasswordRequest,
    StrengthProblem,
    StrengthRequest,
    StrengthResponse,
    VerifiedResponse,
    VerifyRequest,
)
from portal.activation.texts import (
    ACTIVATED,
    ACTIVATION_CODE_SENT,
    PASSWORD_CHANGED,
    RESET_CODE_SENT,
    USERNAME_SENT,
)
from portal.db import get_session
from portal.errors import request_language
from portal.i18n import translate
from portal.mail.service import deliver_later

router = APIRouter(prefix="/api", tags=["activation"])
SessionDep = Annotated[Session, Depends(get_session)]


def _say(request: Request, message: str, **params: object) -> str:
    return translate(message, request_language(request), **params)


def _code_sent(request: Request, message: str, code_request: service.CodeRequest) -> CodeRequestResponse:
    return CodeRequestResponse(
        request_id=code_request.request_id,
        expires_in=code_request.expires_in,
        message=_say(request, message, minutes=code_request.expires_in // 60),
    )


@router.post("/activation/start", response_model=CodeRequestResponse, status_code=202)
def activation_start(body: EmailRequest, request: Request, session: SessionDep, background: BackgroundTasks) -> CodeRequestResponse:
    """'First visit? Activate your account': a verification code to the e-mail address of a new account."""
    code_request = service.start_activation(session, body.email)
    deliver_later(background)
    return _code_sent(request, ACTIVATION_CODE_SENT, code_request)


@router.post("/activation/verify", response_model=VerifiedResponse)
def activation_verify(body: VerifyRequest, session: SessionDep) -> VerifiedResponse:
    """The code from the e-mail (once only; a few tries)."""
    service.verify_code(session, service.ACTIVATION, body.request_id, body.code)
    return VerifiedResponse(request_id=body.request_id)


@router.post("/activation/complete", response_model=ActivatedResponse, status_code=201)
def activation_complete(
    body: ActivationRequest, request: Request, session: SessionDep, background: BackgroundTasks
) -> ActivatedResponse:
    """The chosen username and password; a confirmation e-mail follows. Weak passwords are refused."""
    user = service.complete_activation(session, body.request_id, body.username, body.password)
    deliver_later(background)
    return ActivatedResponse(username=user.username, message=_say(request, ACTIVATED))


@router.post("/recovery/username", response_model=MessageResponse, status_code=202)
def recovery_username(body: EmailRequest, request: Request, session: SessionDep, background: BackgroundTasks) -> MessageResponse:
    """'Forgot your username?': it is e-mailed to the account with this address, if there is one."""
    service.remind_username(session, body.email)
    deliver_later(background)
    return MessageResponse(message=_say(request, USERNAME_SENT))


@router.post("/recovery/password/start", response_model=CodeRequestResponse, status_code=202)
def password_reset_start(body: EmailRequest, request: Request, session: SessionDep, background: BackgroundTasks) -> CodeRequestResponse:
    """'Forgot your password?': a verification code to the account's e-mail address."""
    code_request = service.start_password_reset(session, body.email)
    deliver_later(background)
    return _code_sent(request, RESET_CODE_SENT, code_request)


@router.post("/recovery/password/verify", response_model=VerifiedResponse)
def password_reset_verify(body: VerifyRequest, session: SessionDep) -> VerifiedResponse:
    """The code from the e-mail (once only; a few tries)."""
    service.verify_code(session, service.PASSWORD_RESET, body.request_id, body.code)
    return VerifiedResponse(request_id=body.request_id)


@router.post("/recovery/password/complete", response_model=MessageResponse)
def password_reset_complete(
    body: NewPasswordRequest, request: Request, session: SessionDep, background: BackgroundTasks
) -> MessageResponse:
    """The new password; a confirmation e-mail follows. Weak passwords are refused."""
    service.complete_password_reset(session, body.request_id, body.password)
    deliver_later(background)
    return MessageResponse(message=_say(request, PASSWORD_CHANGED))


@router.post("/password-strength", response_model=StrengthResponse)
def password_strength(body: StrengthRequest, request: Request) -> StrengthResponse:
    """Strong, medium or weak, with the reasons, as the password field shows it while typing."""
    assessment = assess(body.password, [body.username, body.email, body.full_name])
    language = request_language(request)
    return StrengthResponse(
        strength=assessment.strength.value,
        acceptable=assessment.acceptable,
        reasons=[StrengthProblem(code=p.code, message=p.render(language)["message"]) for p in assessment.problems],
    )
