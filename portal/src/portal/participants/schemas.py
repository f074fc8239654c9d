"""Response bodies of the participant endpoints; amounts as decimal strings, dates ISO 8601."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, field_serializer


class ParticipantRow(BaseModel):
    """A participant as the overview lists it (R4)."""

    number: str
    name: str
    date_in_service: date
    fulltime_salary: Decimal
    parttime_percentage: Decimal
    status: str
    scheme: int

    @field_serializer("fulltime_salary")
    def _salary(self, value: Decimal) -> str:
        return f"{value:.2f}"

    @field_serializer("parttime_percentage")
    def _parttime(self, value: Decimal) -> str:
        return f"{value:.3f}"


class ParticipantPage(BaseModel):
    """One page of the overview."""

    items: list[ParticipantRow]
    total: int
    page: int
    page_size: int


class CoverageOut(BaseModel):
    """A coverage of the participant's scheme."""

    code: str
    name: str


class FamilyMemberOut(BaseModel):
    """A partner or child; the BSN masked."""

    relation: str
    first_name: str
    infix: str
    last_name: str
    birth_date: date
    bsn_masked: str


class MutationOut(BaseModel):
    """A change in the participant's history."""

    id: int
    type: str
    status: str
    effective_date: date
    requested_at: datetime
    channel: str
    # The new values (salary, part-time percentage, a family member's name); a BSN only masked.
    payload: dict[str, Any]


class ProblemOut(BaseModel):
    """Why something is not possible, in the request's language."""

    code: str
    field: str | None
    message: str


class ParticipantDetail(ParticipantRow):
    """Personal data, coverages and employment of one participant (§4.1)."""

    first_name: str
    initials: str
    infix: str
    last_name: str
    gender: str
    birth_date: date
    bsn_masked: str
    termination_date: date | None
    scheme_name: str
    coverages: list[CoverageOut]
    family_members: list[FamilyMemberOut]
    changes: list[MutationOut]
    # Why no individual change is possible right now (a slaper, a collective change processing), if so.
    change_blocked: ProblemOut | None
