"""Request and response bodies of the mutation endpoints (contract §3)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field


class SalaryChangeRequest(BaseModel):
    """A new full-time salary and/or part-time percentage from an effective date (§4.2.1)."""

    effective_date: date
    salary: Decimal | None = Field(default=None, description="New full-time salary per year, in euros")
    parttime_percentage: Decimal | None = Field(default=None, description="New part-time percentage, 0–100")


class TerminationRequest(BaseModel):
    """The date the employee leaves (uitdiensttreding, §4.2.2)."""

    effective_date: date


class FamilyMemberRequest(BaseModel):
    """A partner or child, always with a BSN (§4.2.3)."""

    relation: Literal["partner", "child"]
    first_name: str = Field(min_length=1, max_length=100)
    infix: str = Field(default="", max_length=20, description="Tussenvoegsel, such as 'van der'")
    last_name: str = Field(min_length=1, max_length=100)
    birth_date: date
    bsn: str = Field(min_length=1, max_length=20)
    effective_date: date | None = Field(default=None, description="Defaults to today")


MutationRequest = SalaryChangeRequest | TerminationRequest | FamilyMemberRequest


class MutationResponse(BaseModel):
    """A submitted mutation; with dry_run, what would be submitted (no id)."""

    id: int | None
    type: str
    status: str
    effective_date: date
    requested_at: datetime | None
    channel: str
    participant: str
    payload: dict[str, Any]
    dry_run: bool = False
