"""User accounts, login throttling and chat conversations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.employers.models import Employer


class User(Base):
    """A portal account: an employer's user (roles from R1) or insurer staff (service desk)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted: a code is accepted once only.
    last_totp_step: Mapped[int] = mapped_column(default=0)
    # Set when the user confirmed the authenticator app with a first code (QR enrolment on the web).
    totp_enrolled_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(2), default="nl")
    theme: Mapped[str] = mapped_column(String(5), default="light")
    is_active: Mapped[bool] = mapped_column(default=True)

    employer: Mapped[Employer | None] = relationship()


class LoginThrottle(Base):
    """Failed attempts per username, known or not, so that lockout does not reveal who exists."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]


class ChatConversation(Base):
    """A conversation id issued to one user; only that user may renew a chat token for it."""

    __tablename__ = "chat_conversation"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class PendingAccount(Base):
    """An account User Management created (§2) that its owner has not activated yet (§1).

    The user account itself is made at activation, with the username and password its owner chooses;
    until then nobody can log in with it. The row stays afterwards, pointing at the account it became.
    """

    __tablename__ = "pending_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(2), default="nl")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    activated_at: Mapped[datetime | None]

    employer: Mapped[Employer] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class RevokedToken(Base):
    """An access token ended by logging out before it expired; kept until its own expiry."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
