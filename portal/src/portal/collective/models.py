"""The collective change table; one received or processing locks individual changes (R10)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class CollectiveKind(str, enum.Enum):
    """Salary/part-time workbook or new-participants template."""

    salary = "salary"
    new_participants = "new_participants"


class CollectiveStatus(str, enum.Enum):
    """An upload is received, then processing (within 24 hours), then processed or failed."""

    received = "received"
    processing = "processing"
    processed = "processed"
    failed = "failed"


# R10: from the moment an upload is accepted until it is done, individual changes wait.
LOCKING_STATUSES = (CollectiveStatus.received, CollectiveStatus.processing)


class CollectiveChange(Base):
    """One uploaded collective change of an employer, and the work it still has to do."""

    __tablename__ = "collective_change"
    __table_args__ = (UniqueConstraint("employer_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    kind: Mapped[CollectiveKind] = mapped_column(Enum(CollectiveKind, native_enum=False, length=30))
    status: Mapped[CollectiveStatus] = mapped_column(Enum(CollectiveStatus, native_enum=False, length=20))
    effective_date: Mapped[date | None]
    uploaded_at: Mapped[datetime]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(default=0)
    # The validated rows waiting to be applied; kept only until the change is done (they may hold BSNs).
    rows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # Rows checked so far while processing, so the status page can show progress.
    progress: Mapped[int] = mapped_column(default=0)
    # Why processing failed (problems with their message ids, rendered in the reader's language).
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # What processing made: per row the participant number and the mutation id.
    result: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    started_at: Mapped[datetime | None]
    # The worker processing the change (host, process, instance) and when it last said it is alive: a claim whose
    # heartbeat is older than the lease is a crashed worker's and may be taken over (`service.claim`).
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
