"""Logging in: password, then TOTP, with lockout after repeated failures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pyotp
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


def ensure_not_locked(session: Session, username: str) -> None:
    """429 while the username is locked out, known or not."""
    locked_until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.username == username))
    if locked_until and locked_until > _now():
        raise PortalError(429, Problem("account_locked", LOCKED))


def register_failure(session: Session, username: str, channel: str = "portal") -> bool:
    """Counts one failed attempt and commits; True when this attempt locked the username out.

    The count is kept by the database, not read and written back: the row is inserted when missing
    (doing nothing on a conflict), then one UPDATE adds one, or, at the threshold, locks and starts
    over. Requests failing at the same moment, in any worker, each count on SQLite and PostgreSQL
    alike; with read-modify-write five wrong codes sent at once left the account open, and five wrong
    passwords for a username without a row mostly answered 500 (the inserts collided).
    """
    settings = get_settings()
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        dialect_insert(LoginThrottle)
        .values(username=username, failures=0)
        .on_conflict_do_nothing(index_elements=[LoginThrottle.username])
    )
    reached = LoginThrottle.failures + 1 >= settings.lockout_threshold
    locked_until = _now() + timedelta(minutes=settings.lockout_minutes)
    failures = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.username == username)
        .values(
            failures=case((reached, 0), else_=LoginThrottle.failures + 1),
            locked_until=case((reached, locked_until), else_=LoginThrottle.locked_until),
        )
        .returning(LoginThrottle.failures)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    # Only the attempt that reached the threshold reads 0 back: every other one added at least one.
    locked = failures == 0
    if locked:
        record(session, action="lockout", outcome="locked", channel=channel, actor_username=username,
               detail={"minutes": settings.lockout_minutes})
    session.commit()
    return locked


def clear_failures(session: Session, username: str) -> None:
    """Starts the count of failed attempts over after a complete login; stored with the caller's commit."""
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.username == username, LoginThrottle.failures != 0)
        .values(failures=0)
        .execution_options(synchronize_session=False)
    )


def login(session: Session, username: str, password: str) -> str:
    """Checks username and password and returns an mfa_token; the same answer whether the user exists or not."""
    key = username.strip().lower()
    ensure_not_locked(session, key)
    user = session.scalar(select(User).where(User.username == key))
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.is_active:
        record(session, action="login", outcome="wrong_password", channel="portal", actor_username=key)
        register_failure(session, key)
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
    ensure_not_locked(session, user.username)
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
        register_failure(session, user.username)
        if reused:
            raise unauthorized("code_already_used", N_("This code has already been used. Wait for the next code."))
        raise unauthorized("invalid_code", N_("The code is incorrect."))
    clear_failures(session, user.username)
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
    """The TOTP secret and its otpauth:// URI (the QR code's content); a secret is made when there is none.

    Each time the secret is shown is audited (not the secret itself): it is the second factor.
    """
    new_secret = not user.totp_secret
    if new_secret:
        user.totp_secret = pyotp.random_base32()
    _record_for(session, user, "totp_enrolment", "secret_shown", detail={"new_secret": new_secret})
    session.commit()
    return user.totp_secret, pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def confirm_enrolment(session: Session, user: User) -> None:
    """Marks the authenticator app as linked after its first good code; from then on the QR code is not shown."""
    if user.totp_enrolled_at is not None:
        return
    user.totp_enrolled_at = _now()
    _record_for(session, user, "totp_enrolment", "confirmed")
    session.commit()


def _record_for(session: Session, user: User, action: str, outcome: str, channel: str = "portal",
                detail: dict[str, object] | None = None) -> None:
    record(session, action=action, outcome=outcome, channel=channel, actor_user_id=user.id,
           actor_username=user.username, employer_id=user.employer_id, detail=detail)


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


def update_settings(
    session: Session, user: User, language: str | None = None, theme: str | None = None, channel: str = "portal"
) -> None:
    """Stores the user's language (nl, en) and light or dark mode (§3); None leaves a setting as it is."""
    chosen = {name: value for name, value, allowed in (("language", language, LANGUAGES), ("theme", theme, THEMES))
              if value in allowed}
    if not chosen:
        return
    for name, value in chosen.items():
        setattr(user, name, value)
    _record_for(session, user, "settings_changed", "accepted", channel, detail=chosen)
    session.commit()


def revoke_token(session: Session, token: str) -> None:
    """Refuses this access token from now on (log out), until it would have expired anyway; audited once."""
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
        user = session.get(User, int(claims["sub"])) if str(claims["sub"]).isdigit() else None
        if user is not None:
            _record_for(session, user, "logout", "success")
    session.commit()

