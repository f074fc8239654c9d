"""Logging in: password, then TOTP, with lockout after repeated failures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from portal.accounts.models import ChatConversation, LoginThrottle, RevokedToken, User
from portal.accounts.security import (
    AUD_ACCESS,
    AUD_CHAT,
    AUD_MFA,
    decode_token,
    issue_token,
    matching_totp_step,
    verify_password,
)
from portal.audit.service import record
from portal.config import get_settings
from portal.errors import N_, PortalError, Problem, unauthorized

TOTP_ISSUER = "Werkgeversportaal"
ALREADY_ENROLLED = N_("An authenticator app is already linked to this account.")
INVALID_LOGIN = N_("The username or password is incorrect.")
LOCKED = N_("Too many failed attempts. Try again in 15 minutes.")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _throttle(session: Session, username: str) -> LoginThrottle:
    throttle = session.get(LoginThrottle, username)
    if throttle is None:
        throttle = LoginThrottle(username=username, failures=0)
        session.add(throttle)
    return throttle


def _ensure_not_locked(throttle: LoginThrottle) -> None:
    if throttle.locked_until and throttle.locked_until > _now():
        raise PortalError(429, Problem("account_locked", LOCKED))


def _register_failure(session: Session, throttle: LoginThrottle) -> None:
    settings = get_settings()
    throttle.failures += 1
    if throttle.failures >= settings.lockout_threshold:
        throttle.locked_until = _now() + timedelta(minutes=settings.lockout_minutes)
        throttle.failures = 0
    session.commit()


def login(session: Session, username: str, password: str) -> str:
    """Checks username and password and returns an mfa_token; the same answer whether the user exists or not."""
    key = username.strip().lower()
    throttle = _throttle(session, key)
    _ensure_not_locked(throttle)
    user = session.scalar(select(User).where(User.username == key))
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.is_active:
        record(session, action="login", outcome="wrong_password", channel="portal", actor_username=key)
        _register_failure(session, throttle)
        raise unauthorized("invalid_credentials", INVALID_LOGIN)
    session.commit()
    lifetime = timedelta(minutes=get_settings().mfa_token_minutes)
    return issue_token(AUD_MFA, str(user.id), lifetime)


def verify_mfa(session: Session, mfa_token: str, code: str) -> tuple[str, int]:
    """Checks the TOTP code (once only, one step of clock drift) and returns an access token and its lifetime."""
    try:
        claims = decode_token(mfa_token, [AUD_MFA])
    except jwt.InvalidTokenError as exc:
        raise unauthorized("invalid_mfa_token", N_("Your login has expired; please start again.")) from exc
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.is_active or not user.totp_secret:
        raise unauthorized("invalid_mfa_token", N_("Your login has expired; please start again."))
    throttle = _throttle(session, user.username)
    _ensure_not_locked(throttle)
    step = matching_totp_step(user.totp_secret, code.strip())
    if step is None or not claim_totp_step(session, user, step):
        reused = step is not None
        record(
            session,
            action="mfa",
            outcome="reused_code" if reused else "wrong_code",
            channel="portal",
            actor_user_id=user.id,
            actor_username=user.username,
            employer_id=user.employer_id,
        )
        _register_failure(session, throttle)
        if reused:
            raise unauthorized("code_already_used", N_("This code has already been used. Wait for the next code."))
        raise unauthorized("invalid_code", N_("The code is incorrect."))
    throttle.failures = 0
    record(
        session,
        action="login",
        outcome="success",
        channel="portal",
        actor_user_id=user.id,
        actor_username=user.username,
        employer_id=user.employer_id,
    )
    session.commit()
    return access_token_for(user)


def claim_totp_step(session: Session, user: User, step: int) -> bool:
    """Marks the code's time step as used, unless it or a later one was used already; False then.

    One conditional UPDATE, not read-then-write: of two requests with the same code at the same moment
    (a replayed code), exactly one claims the step, in every worker and on SQLite and PostgreSQL alike.
    """
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, User.last_totp_step < step)
        .values(last_totp_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        user.last_totp_step = step
    return claimed == 1


def totp_enrolment(session: Session, user: User) -> tuple[str, str]:
    """The TOTP secret and its otpauth:// URI (the QR code's content); a secret is made when there is none."""
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        session.commit()
    return user.totp_secret, pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def enrolment_for_login(session: Session, mfa_token: str) -> tuple[str, str]:
    """After the password: the secret to link an authenticator app, only while none is linked yet (§1)."""
    try:
        claims = decode_token(mfa_token, [AUD_MFA])
    except jwt.InvalidTokenError as exc:
        raise unauthorized("invalid_mfa_token", N_("Your login has expired; please start again.")) from exc
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.is_active:
        raise unauthorized("invalid_mfa_token", N_("Your login has expired; please start again."))
    if user.totp_enrolled_at is not None:
        raise PortalError(409, Problem("already_enrolled", ALREADY_ENROLLED))
    return totp_enrolment(session, user)


def access_token_for(user: User) -> tuple[str, int]:
    """An access token carrying user, employer and roles, and its lifetime in seconds."""
    lifetime = timedelta(minutes=get_settings().access_token_minutes)
    token = issue_token(
        AUD_ACCESS,
        str(user.id),
        lifetime,
        username=user.username,
        employer=user.employer_id,
        roles=list(user.roles),
    )
    return token, int(lifetime.total_seconds())


def chat_token_for(session: Session, user: User, conversation_id: str | None, channel: str = "chat") -> tuple[str, str, int]:
    """A chat token for a new conversation, or a renewed one for a conversation of this same user."""
    if conversation_id:
        conversation = session.get(ChatConversation, conversation_id)
        if conversation is None or conversation.user_id != user.id:
            raise PortalError(404, Problem("not_found", N_("Not found."), "conversation_id"))
    else:
        conversation = ChatConversation(id=uuid.uuid4().hex, user_id=user.id, channel=channel, created_at=_now())
        session.add(conversation)
        record(
            session,
            action="chat_token",
            outcome="issued",
            channel=channel,
            actor_user_id=user.id,
            actor_username=user.username,
            employer_id=user.employer_id,
            target=conversation.id,
        )
        session.commit()
    lifetime = timedelta(minutes=get_settings().chat_token_minutes)
    token = issue_token(
        AUD_CHAT,
        str(user.id),
        lifetime,
        sid=conversation.id,
        chn=conversation.channel,
        username=user.username,
        employer=user.employer_id,
        roles=list(user.roles),
        lang=user.language,
    )
    return token, conversation.id, int(lifetime.total_seconds())


LANGUAGES = ("nl", "en")
THEMES = ("light", "dark")


def update_settings(session: Session, user: User, language: str | None = None, theme: str | None = None) -> None:
    """Stores the user's language (nl, en) and light or dark mode (§3); None leaves a setting as it is."""
    if language in LANGUAGES:
        user.language = language
    if theme in THEMES:
        user.theme = theme
    session.commit()


def revoke_token(session: Session, token: str) -> None:
    """Refuses this access token from now on (log out), until it would have expired anyway."""
    try:
        claims = decode_token(token, [AUD_ACCESS])
    except jwt.InvalidTokenError:
        return  # expired or not ours: nothing left to end
    jti = claims.get("jti")
    if not jti:
        return
    now = _now()
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    if session.get(RevokedToken, jti) is None:
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC).replace(tzinfo=None)
        session.add(RevokedToken(jti=jti, expires_at=expires_at))
    session.commit()

