"""Verification codes sent by e-mail for activation and password reset."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class VerificationCode(Base):
    """One request for a code: single use, short-lived, a few tries.

    A row is made for every request, also when the e-mail address belongs to nobody (then no mail is sent
    and no code can match), so the answers never reveal which addresses have an account. Only hashes are
    stored: of the request id the client holds, and of the code.
    """

    __tablename__ = "verification_code"

    request_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    pending_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("pending_account.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    verified_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
