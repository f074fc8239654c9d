"""The document table: one PDF of one scheme, with the scheme-wide unread mark."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base
from portal.employers.models import Scheme


class DocumentCategory(str, enum.Enum):
    """Financial documents are for Finance and User Management only (R13); legal ones for every role."""

    financial = "financial"
    legal = "legal"


class DocumentKind(str, enum.Enum):
    """What a document is (§5.1, §5.2)."""

    invoice = "invoice"
    booking_overview = "booking_overview"
    reminder = "reminder"
    regulations = "regulations"
    agreement = "agreement"
    addendum = "addendum"


class Document(Base):
    """A PDF of a scheme (document); `opened_at` is set by the first user who opens it, for everyone (§5.2)."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scheme.id"), index=True)
    category: Mapped[DocumentCategory] = mapped_column(Enum(DocumentCategory, native_enum=False, length=20))
    kind: Mapped[DocumentKind] = mapped_column(Enum(DocumentKind, native_enum=False, length=30))
    title_nl: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    document_date: Mapped[date]
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    # Deferred: listing documents never loads the PDFs.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    opened_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    scheme: Mapped[Scheme] = relationship()
    opened_by: Mapped[User | None] = relationship()

    @property
    def unread(self) -> bool:
        """Unread until any user of the employer opened it (the mark is per scheme, not per user)."""
        return self.opened_at is None

    def title(self, language: str) -> str:
        """The title in the user's language."""
        return self.title_en if language == "en" else self.title_nl
