"""The handoff table: one conversation waiting for (or helped by) the service desk."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base
from portal.employers.models import Employer


class HandoffReason(str, enum.Enum):
    """Why the assistant could not help; stable codes the assistant sends."""

    forbidden = "forbidden"  # the user's role does not allow the change
    collective_processing = "collective_processing"  # R10: a collective change is processing
    rule_blocked = "rule_blocked"  # a rule the user cannot fix, such as a dormant participant (R5)
    validation_failed = "validation_failed"  # a value failed validation twice
    user_request = "user_request"  # the user asked for a person
    not_understood = "not_understood"  # the assistant failed to understand twice
    portal_unavailable = "portal_unavailable"  # the portal did not answer the assistant


class HandoffChannel(str, enum.Enum):
    """Where the conversation took place."""

    chat = "chat"
    teams = "teams"
    portal = "portal"


class HandoffStatus(str, enum.Enum):
    """Open until a service-desk colleague resolves it."""

    open = "open"
    resolved = "resolved"


class Handoff(Base):
    """A conversation handed to the service desk, with its transcript (every BSN masked)."""

    __tablename__ = "handoff"
    __table_args__ = (
        # At most one open handoff per conversation of a user; a repeated request gets the open one.
        Index(
            "uq_handoff_open_conversation",
            "requested_by_id",
            "conversation_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    conversation_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[HandoffChannel] = mapped_column(Enum(HandoffChannel, native_enum=False, length=20))
    reason: Mapped[HandoffReason] = mapped_column(Enum(HandoffReason, native_enum=False, length=30))
    language: Mapped[str] = mapped_column(String(2))
    summary: Mapped[str | None] = mapped_column(String(500))
    # [{sender: "user"|"bot", text, timestamp}], masked before it is stored.
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[HandoffStatus] = mapped_column(Enum(HandoffStatus, native_enum=False, length=20), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # A service-desk colleague took the conversation over (the assistant stays silent) ...
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    taken_at: Mapped[datetime | None]
    # ... and gave it back to the assistant (resumed) before or without resolving.
    returned_at: Mapped[datetime | None]

    employer: Mapped[Employer] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
