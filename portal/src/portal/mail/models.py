"""The outbox: every e-mail the portal sends, and whether it went out."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class MailStatus(str, enum.Enum):
    """Where a mail is: kept in the outbox (no SMTP configured), waiting for SMTP, sent or given up on."""

    outbox = "outbox"
    pending = "pending"
    sent = "sent"
    failed = "failed"


class OutboxMail(Base):
    """One e-mail; without SMTP (a developer's machine) the outbox is where it is read (`portal outbox`)."""

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    # Emptied once SMTP delivered it: a verification code does not stay in the database longer than needed.
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.outbox.value)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
