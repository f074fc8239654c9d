"""FastAPI dependencies: the verified caller of a request and the permission checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from portal.accounts.models import RevokedToken, User
from portal.accounts.permissions import Permission, allows
from portal.accounts.security import AUD_ACCESS, AUD_CHAT, decode_token
from portal.db import get_session
from portal.errors import N_, forbidden, request_language, unauthorized


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the account (roles as stored now), the channel and the language."""

    user: User
    channel: str
    conversation_id: str | None
    language: str

    @property
    def employer_id(self) -> int | None:
        """The employer the caller acts for; None for insurer staff."""
        return self.user.employer_id


def current_principal(request: Request, session: Annotated[Session, Depends(get_session)]) -> Principal:
    """The caller behind the bearer token (access token or chat token), verified on every request."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized()
    return principal_for_token(session, token.strip(), [AUD_ACCESS, AUD_CHAT], request_language(request))


def principal_for_token(session: Session, token: str, audiences: list[str], language: str) -> Principal:
    """The caller behind a token of one of the audiences; the web pages check their cookie with it too."""
    try:
        claims = decode_token(token, audiences)
    except jwt.ExpiredSignatureError as exc:
        raise unauthorized("token_expired", N_("Your session has expired; please log in again.")) from exc
    except jwt.InvalidTokenError as exc:
        raise unauthorized("invalid_token", N_("Your session is not valid; please log in again.")) from exc
    user = session.get(User, int(claims["sub"])) if str(claims["sub"]).isdigit() else None
    if user is None or not user.is_active or _revoked(session, claims):
        raise unauthorized("invalid_token", N_("Your session is not valid; please log in again."))
    is_chat = claims["aud"] == AUD_CHAT or claims["aud"] == [AUD_CHAT]
    # Roles come from the account as it is now, not from the token, so a revoked role takes effect at once.
    return Principal(
        user=user,
        channel=claims.get("chn", "chat") if is_chat else "portal",
        conversation_id=claims.get("sid") if is_chat else None,
        language=language,
    )


def _revoked(session: Session, claims: dict) -> bool:
    # Only access tokens can be ended by logging out; other audiences skip the lookup.
    if claims.get("aud") not in (AUD_ACCESS, [AUD_ACCESS]) or not claims.get("jti"):
        return False
    return session.get(RevokedToken, claims["jti"]) is not None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency that lets an employer's user through only when their roles grant the permission."""

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.employer_id is None or not allows(principal.user.roles, permission):
            raise forbidden()
        return principal

    return check


def require_staff(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency for insurer staff (no employer) whose roles grant the permission, with an access token.

    Kept apart from `require` so that employer endpoints keep refusing every caller without an employer.
    """

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.employer_id is not None or principal.conversation_id is not None:
            raise forbidden()
        if not allows(principal.user.roles, permission):
            raise forbidden()
        return principal

    return check
