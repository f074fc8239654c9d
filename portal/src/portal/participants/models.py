"""Participant and family member tables."""

from __future__ import annotations

import enum
from collections import Counter
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, Enum, ForeignKey, Index, Numeric, String, UniqueConstraint, event, insert
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from portal.db import Base
from portal.employers.models import Scheme
from portal.participants.search import name_words


class ParticipantStatus(str, enum.Enum):
    """Active in service, or dormant (slaper) after leaving: no more changes then (R5)."""

    active = "active"
    dormant = "dormant"


class Relation(str, enum.Enum):
    """A family member's relation to the participant."""

    partner = "partner"
    child = "child"


def listed_name(last_name: str, initials: str, infix: str) -> str:
    """A name as the overview lists it: 'Assob, G., ter' (last name first, the tussenvoegsel last)."""
    name = f"{last_name}, {initials}"
    return f"{name}, {infix}" if infix else name


class Participant(Base):
    """A participant (deelnemer); salary, part-time and status are the state as of today.

    The mutation history is the source of truth: these columns are recomputed from it
    (see `portal.mutations.state`), so a retroactive change re-applies the later ones (R12).
    """

    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("employer_id", "number"),
        # Searching by BSN (an exact match) without reading every row.
        Index("ix_participant_employer_bsn", "employer_id", "bsn"),
        # The overview's default order, walked in order when a search matches many (see participants.service).
        Index("ix_participant_employer_sort", "employer_id", "sort_name", "number"),
    )

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
        return listed_name(self.last_name, self.initials, self.infix)

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


class NameWord(Base):
    """A word occurring in the names of an employer's participants: what a name fragment is matched against.

    A fragment is looked for inside these few distinct words (thousands, not one row per participant), and
    `ParticipantWord` leads from a matching word to the participants, so a search reads no full table.
    """

    __tablename__ = "name_word"

    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), primary_key=True)
    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    # How many participants have this word: a search starts from its rarest fragment.
    participants: Mapped[int] = mapped_column(default=0)


class ParticipantWord(Base):
    """One word of one participant's `search_text`; the primary key is the index from a word to its participants."""

    __tablename__ = "participant_word"

    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), primary_key=True)
    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), primary_key=True, index=True)


def index_names(connection: Connection, participants: list[tuple[int, int, str]]) -> None:
    """Adds the name words of new participants, given as (employer id, participant id, search text)."""
    postings = [
        {"employer_id": employer_id, "word": word, "participant_id": participant_id}
        for employer_id, participant_id, text in participants
        for word in name_words(text)
    ]
    if not postings:
        return
    counts = Counter((p["employer_id"], p["word"]) for p in postings)
    vocabulary = [{"employer_id": e, "word": w, "participants": n} for (e, w), n in sorted(counts.items())]
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(NameWord)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[NameWord.employer_id, NameWord.word],
            set_={"participants": NameWord.participants + statement.excluded.participants},
        ),
        vocabulary,
    )
    connection.execute(insert(ParticipantWord), postings)


@event.listens_for(Participant, "after_insert")
def _index_new_participant(_mapper: Mapper, connection: Connection, participant: Participant) -> None:
    index_names(connection, [(participant.employer_id, participant.id, participant.search_text)])
