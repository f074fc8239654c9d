"""The collective change table; one in processing locks individual changes (R10)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class CollectiveKind(str, enum.Enum):
    """Salary/part-time workbook or new-participants template."""

    salary = "salary"
    new_participants = "new_participants"


class CollectiveStatus(str, enum.Enum):
    """An upload is processing (within 24 hours), then processed or failed."""

    processing = "processing"
    processed = "processed"
    failed = "failed"


class CollectiveChange(Base):
    """One uploaded collective change of an employer."""

    __tablename__ = "collective_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    kind: Mapped[CollectiveKind] = mapped_column(Enum(CollectiveKind, native_enum=False, length=30))
    status: Mapped[CollectiveStatus] = mapped_column(Enum(CollectiveStatus, native_enum=False, length=20))
    effective_date: Mapped[date | None]
    uploaded_at: Mapped[datetime]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(default=0)
