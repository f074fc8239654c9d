"""The export history: every participant file made, kept so that it can be downloaded again as it was."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base


class ParticipantExport(Base):
    """One export of the participant file (exportbestand) as of a date, with the file itself.

    The file is stored rather than rebuilt: a later retroactive change alters the state as of a past
    date, and an earlier export must still download as the user first saw it (§4.2.4).
    """

    __tablename__ = "participant_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    as_of: Mapped[date]
    # None: every scheme of the employer.
    scheme_number: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(2))
    row_count: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    requested_by: Mapped[User | None] = relationship()
