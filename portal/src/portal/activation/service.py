"""Activation (§1) and recovery: codes by e-mail, then a username and password; forgotten username.

Rules that hold for every step, through the API and on the pages alike:
- the answer to "send me a code / my username" is the same whether or not the address has an account;
- a code is six digits, valid `verification_code_minutes`, usable once, and void after
  `verification_code_attempts` wrong tries; at most `verification_mails_per_hour` mails per account;
- codes and passwords never reach a log, the audit trail or an error message.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.accounts.management import normalise_email
from portal.accounts.models import LoginThrottle, PendingAccount, User
from portal.accounts.security import hash_password, request_fingerprint
from portal.activation.models import VerificationCode
from portal.activation.passwords import assess
from portal.audit.service import record
from portal.config import get_settings
from portal.errors import N_, PortalError, Problem
from portal.mail import service as mail
from portal.mail.models import OutboxMail
from portal.mail.texts import (
    ACCOUNT_ACTIVATED,
    ACTIVATION_CODE,
    PASSWORD_CHANGED,
    PASSWORD_RESET_CODE,
    USERNAME_REMINDER,
)

ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password

CODE_INVALID = N_("The code is incorrect. Check the code in the e-mail and try again.")
CODE_EXPIRED = N_("This code is no longer valid. Request a new code.")
TOO_MANY_ATTEMPTS = N_("Too many incorrect codes. Request a new code.")
CODE_USED = N_("This code has already been used.")
REQUEST_EXPIRED = N_("This request has expired. Please start again.")
USERNAME_FORMAT = N_(
    "Choose a username of 3 to 50 characters: letters, digits, dots, hyphens or underscores, starting with a letter."
)
USERNAME_TAKEN = N_("This username is already taken. Choose another one.")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,49}$")
LOGIN_PATH = "/login"


@dataclass(frozen=True)
class CodeRequest:
    """What the client keeps between the steps: the request id (a secret) and how long the code is valid."""

    request_id: str
    expires_in: int


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(*parts: str) -> str:
    return request_fingerprint("verification", *parts)


def _login_url() -> str:
    return get_settings().public_url.rstrip("/") + LOGIN_PATH


def _recent_requests(session: Session, column, target_id: int) -> int:
    since = _now() - timedelta(hours=1)
    return session.scalar(
        select(func.count()).select_from(VerificationCode).where(column == target_id, VerificationCode.created_at > since)
    ) or 0


def _new_request(session: Session, purpose: str, pending: PendingAccount | None, user: User | None) -> tuple[CodeRequest, str]:
    """A request row and its code; without a target the stored hash matches no code at all."""
    settings = get_settings()
    now = _now()
    # Old requests are of no use to anyone: keep the table small.
    session.execute(delete(VerificationCode).where(VerificationCode.expires_at < now - timedelta(days=1)))
    request_id = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}"
    has_target = pending is not None or user is not None
    session.add(
        VerificationCode(
            request_hash=_hash(request_id),
            purpose=purpose,
            pending_account_id=pending.id if pending else None,
            user_id=user.id if user else None,
            code_hash=_hash(request_id, code) if has_target else _hash(secrets.token_hex(32)),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.verification_code_minutes),
            attempts=0,
        )
    )
    return CodeRequest(request_id, settings.verification_code_minutes * 60), code


# --- activation --------------------------------------------------------------------------------------


def start_activation(session: Session, email: str) -> CodeRequest:
    """Step 1: mails a code when an account waits for activation at this address; the same answer otherwise."""
    settings = get_settings()
    address = normalise_email(email)
    pending = session.scalar(
        select(PendingAccount)
        .where(func.lower(PendingAccount.email) == address, PendingAccount.user_id.is_(None))
        .order_by(PendingAccount.id.desc())
        .limit(1)
    )
    if pending is not None and _recent_requests(session, VerificationCode.pending_account_id, pending.id) >= settings.verification_mails_per_hour:
        pending = None  # enough codes for this hour: answer as always, send nothing
    request, code = _new_request(session, ACTIVATION, pending, None)
    if pending is not None:
        mail.queue(session, pending.email, ACTIVATION_CODE, pending.language, name=pending.full_name, code=code,
                   minutes=settings.verification_code_minutes)
        record(session, action="activation_code", outcome="sent", channel="portal", employer_id=pending.employer_id,
               target=f"pending_account:{pending.id}")
    session.commit()
    return request


def verify_code(session: Session, purpose: str, request_id: str, code: str) -> None:
    """Step 2: the code from the e-mail; counts the try, and marks the request verified when it matches."""
    row = session.get(VerificationCode, _hash(request_id)) if request_id else None
    if row is None or row.purpose != purpose or row.completed_at is not None:
        raise PortalError(422, Problem("code_expired", CODE_EXPIRED, "code"))
    if row.verified_at is not None:
        raise PortalError(422, Problem("code_used", CODE_USED, "code"))
    if row.expires_at < _now():
        raise PortalError(422, Problem("code_expired", CODE_EXPIRED, "code"))
    limit = get_settings().verification_code_attempts
    if row.attempts >= limit:
        raise PortalError(429, Problem("too_many_attempts", TOO_MANY_ATTEMPTS, "code"))
    row.attempts += 1
    presented = re.sub(r"\s", "", code)
    if not hmac.compare_digest(row.code_hash, _hash(request_id, presented)):
        session.commit()
        if row.attempts >= limit:
            raise PortalError(429, Problem("too_many_attempts", TOO_MANY_ATTEMPTS, "code"))
        raise PortalError(422, Problem("invalid_code", CODE_INVALID, "code"))
    row.verified_at = _now()
    session.commit()


def _verified_request(session: Session, purpose: str, request_id: str) -> VerificationCode:
    """A request whose code was verified, not completed yet, and verified recently enough."""
    row = session.get(VerificationCode, _hash(request_id)) if request_id else None
    window = timedelta(minutes=get_settings().verification_code_minutes)
    if row is None or row.purpose != purpose or row.verified_at is None or row.completed_at is not None or row.verified_at + window < _now():
        raise PortalError(422, Problem("request_expired", REQUEST_EXPIRED))
    return row


def check_username(session: Session, username: str) -> tuple[str, list[Problem]]:
    """The username as it will be stored (lower case), and what is wrong with it."""
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        return name, [Problem("invalid_username", USERNAME_FORMAT, "username")]
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        return name, [Problem("username_taken", USERNAME_TAKEN, "username")]
    return name, []


def activation_details(session: Session, request_id: str) -> PendingAccount:
    """The account a verified activation request is for (the pages greet its owner by name)."""
    row = _verified_request(session, ACTIVATION, request_id)
    pending = session.get(PendingAccount, row.pending_account_id) if row.pending_account_id else None
    if pending is None or pending.user_id is not None:
        raise PortalError(422, Problem("request_expired", REQUEST_EXPIRED))
    return pending


def complete_activation(session: Session, request_id: str, username: str, password: str) -> User:
    """Step 3: username and password; makes the user account (TOTP enrolment follows at the first login)."""
    pending = activation_details(session, request_id)
    row = _verified_request(session, ACTIVATION, request_id)
    name, problems = check_username(session, username)
    assessment = assess(password, [pending.full_name, pending.email, name])
    if problems or not assessment.acceptable:
        raise PortalError(422, *problems, *(() if assessment.acceptable else assessment.problems))
    now = _now()
    user = User(
        username=name,
        full_name=pending.full_name,
        email=pending.email,
        employer_id=pending.employer_id,
        roles=list(pending.roles),
        password_hash=hash_password(password),
        # A new secret, shown as a QR code at the first login; enrolled once the first code matches.
        totp_secret=pyotp.random_base32(),
        totp_enrolled_at=None,
        language=pending.language,
        theme="light",
        is_active=True,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # the same username chosen at the same moment by someone else
        session.rollback()
        raise PortalError(422, Problem("username_taken", USERNAME_TAKEN, "username")) from exc
    pending.user_id = user.id
    pending.activated_at = now
    row.completed_at = now
    # The account exists now: no other code for it may activate it again.
    session.execute(
        update(VerificationCode)
        .where(VerificationCode.pending_account_id == pending.id, VerificationCode.completed_at.is_(None))
        .values(completed_at=now)
    )
    mail.queue(session, user.email, ACCOUNT_ACTIVATED, user.language, name=user.full_name, username=user.username,
               url=_login_url())
    record(session, action="account_activated", outcome="success", channel="portal", actor_user_id=user.id,
           actor_username=user.username, employer_id=user.employer_id, target=f"pending_account:{pending.id}")
    session.commit()
    return user


# --- forgotten username and password ----------------------------------------------------------------


def _active_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(
        select(User).where(func.lower(User.email) == normalise_email(email), User.is_active.is_(True)).limit(1)
    )


def remind_username(session: Session, email: str) -> None:
    """Mails the username to an account with this address; nothing tells the caller whether there is one."""
    user = _active_user_by_email(session, email)
    if user is None:
        return
    since = _now() - timedelta(hours=1)
    sent = session.scalar(
        select(func.count()).select_from(OutboxMail).where(
            OutboxMail.recipient == user.email, OutboxMail.kind == USERNAME_REMINDER.kind, OutboxMail.created_at > since
        )
    ) or 0
    if sent >= get_settings().verification_mails_per_hour:
        return
    mail.queue(session, user.email, USERNAME_REMINDER, user.language, name=user.full_name, username=user.username,
               url=_login_url())
    record(session, action="username_reminder", outcome="sent", channel="portal", actor_user_id=user.id,
           actor_username=user.username, employer_id=user.employer_id)
    session.commit()


def start_password_reset(session: Session, email: str) -> CodeRequest:
    """Mails a code to choose a new password when an active account has this address; the same answer otherwise."""
    settings = get_settings()
    user = _active_user_by_email(session, email)
    if user is not None and _recent_requests(session, VerificationCode.user_id, user.id) >= settings.verification_mails_per_hour:
        user = None
    request, code = _new_request(session, PASSWORD_RESET, None, user)
    if user is not None:
        mail.queue(session, user.email, PASSWORD_RESET_CODE, user.language, name=user.full_name, code=code,
                   minutes=settings.verification_code_minutes)
        record(session, action="password_reset_code", outcome="sent", channel="portal", actor_user_id=user.id,
               actor_username=user.username, employer_id=user.employer_id)
    session.commit()
    return request


def complete_password_reset(session: Session, request_id: str, password: str) -> User:
    """Sets the new password of a verified reset request; a lockout of the account ends with it."""
    row = _verified_request(session, PASSWORD_RESET, request_id)
    user = session.get(User, row.user_id) if row.user_id else None
    if user is None or not user.is_active:
        raise PortalError(422, Problem("request_expired", REQUEST_EXPIRED))
    assessment = assess(password, [user.full_name, user.email, user.username])
    if not assessment.acceptable:
        raise PortalError(422, *assessment.problems)
    now = _now()
    user.password_hash = hash_password(password)
    row.completed_at = now
    session.execute(
        update(VerificationCode)
        .where(VerificationCode.user_id == user.id, VerificationCode.completed_at.is_(None))
        .values(completed_at=now)
    )
    throttle = session.get(LoginThrottle, user.username)
    if throttle is not None:
        throttle.failures = 0
        throttle.locked_until = None
    mail.queue(session, user.email, PASSWORD_CHANGED, user.language, name=user.full_name, username=user.username)
    record(session, action="password_reset", outcome="success", channel="portal", actor_user_id=user.id,
           actor_username=user.username, employer_id=user.employer_id)
    session.commit()
    return user
