"""The mutation table: the history every participant's state is computed from."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base
from portal.participants.models import Participant


class MutationType(str, enum.Enum):
    """Kinds of change; the last two come from outside the portal (by the insurer or an advisor)."""

    new_participation = "new_participation"
    salary_change = "salary_change"
    termination = "termination"
    family_member = "family_member"
    intermediary_change = "intermediary_change"


class MutationStatus(str, enum.Enum):
    """Received until its effective date has come, then processed; some need additional checks."""

    received = "received"
    processed = "processed"
    additional_checks = "additional_checks"
    rejected = "rejected"


class Channel(str, enum.Enum):
    """Where a change was requested."""

    portal = "portal"
    chat = "chat"
    teams = "teams"
    collective = "collective"
    external = "external"


class Mutation(Base):
    """One requested change of one participant, with who asked for it, when and through which channel."""

    __tablename__ = "mutation"
    __table_args__ = (
        UniqueConstraint("employer_id", "idempotency_key"),
        Index("ix_mutation_participant_effective", "participant_id", "effective_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    type: Mapped[MutationType] = mapped_column(Enum(MutationType, native_enum=False, length=30))
    effective_date: Mapped[date]
    requested_at: Mapped[datetime]
    status: Mapped[MutationStatus] = mapped_column(Enum(MutationStatus, native_enum=False, length=30))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=20))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # HMAC of the request, so a reused key with another request is recognised without storing it twice.
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Values only, never a BSN (family members keep theirs in their own table).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    participant: Mapped[Participant] = relationship()
    requested_by: Mapped[User | None] = relationship()
