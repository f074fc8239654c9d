"""Participant and family member tables."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.employers.models import Scheme


class ParticipantStatus(str, enum.Enum):
    """Active in service, or dormant (slaper) after leaving: no more changes then (R5)."""

    active = "active"
    dormant = "dormant"


class Relation(str, enum.Enum):
    """A family member's relation to the participant."""

    partner = "partner"
    child = "child"


class Participant(Base):
    """A participant (deelnemer); salary, part-time and status are the state as of today.

    The mutation history is the source of truth: these columns are recomputed from it
    (see `portal.mutations.state`), so a retroactive change re-applies the later ones (R12).
    """

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("employer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scheme.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    initials: Mapped[str] = mapped_column(String(20))
    infix: Mapped[str] = mapped_column(String(20), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date]
    bsn: Mapped[str] = mapped_column(String(9))
    date_in_service: Mapped[date]
    fulltime_salary: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    parttime_percentage: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    status: Mapped[ParticipantStatus] = mapped_column(Enum(ParticipantStatus, native_enum=False, length=20))
    termination_date: Mapped[date | None]
    # Lower-case, accent-free name words for case- and diacritics-insensitive search.
    search_text: Mapped[str] = mapped_column(String(400))
    sort_name: Mapped[str] = mapped_column(String(200), index=True)

    scheme: Mapped[Scheme] = relationship()
    family_members: Mapped[list[FamilyMember]] = relationship(back_populates="participant", order_by="FamilyMember.id")

    @property
    def listed_name(self) -> str:
        """The name as the overview lists it: 'Assob, G., ter'."""
        name = f"{self.last_name}, {self.initials}"
        return f"{name}, {self.infix}" if self.infix else name

    @property
    def full_name(self) -> str:
        """The name as one says it: 'Gerrit ter Assob'."""
        return " ".join(part for part in (self.first_name, self.infix, self.last_name) if part)


class FamilyMember(Base):
    """A participant's partner or child; registered always with a BSN (R7)."""

    __tablename__ = "family_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    relation: Mapped[Relation] = mapped_column(Enum(Relation, native_enum=False, length=20))
    first_name: Mapped[str] = mapped_column(String(100))
    infix: Mapped[str] = mapped_column(String(20), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    bsn: Mapped[str] = mapped_column(String(9))

    participant: Mapped[Participant] = relationship(back_populates="family_members")
