"""The request body of a new participant (§4.3); the response is the mutation, as for every change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, field_validator


class NewParticipantRequest(BaseModel):
    """A new participant from a start date (ingangsdatum); the scheme is needed when there are several (R9)."""

    scheme: int | None = Field(default=None, description="Scheme number; required when the employer has several")
    first_name: str = Field(min_length=1, max_length=100)
    initials: str = Field(default="", max_length=20, description="Voorletters; taken from the first name when empty")
    infix: str = Field(default="", max_length=20, description="Tussenvoegsel, such as 'van der'")
    last_name: str = Field(min_length=1, max_length=100)
    gender: Literal["M", "V", "F"] = Field(description="M (male), V or F (female)")
    birth_date: date
    bsn: str = Field(min_length=1, max_length=20)
    date_in_service: date = Field(description="The start date of the participation")
    salary: Decimal = Field(description="Full-time salary per year, in euros")
    parttime_percentage: Decimal = Field(default=Decimal(100), description="Part-time percentage, 0–100")

    @field_validator("first_name", "initials", "infix", "last_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @property
    def gender_code(self) -> str:
        """The stored code: M or V (vrouw), whichever language the form was in."""
        return "V" if self.gender == "F" else self.gender

    @property
    def initials_or_derived(self) -> str:
        """The initials as given, else one per first name: 'Anna Maria' → 'A.M.'."""
        if self.initials:
            return self.initials
        return "".join(f"{part[0].upper()}." for part in self.first_name.split() if part)
