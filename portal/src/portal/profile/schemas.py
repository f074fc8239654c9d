"""Request and response bodies of the contact-details endpoints (§6, R14)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from portal.accounts.models import User
from portal.employers.models import Employer
from portal.errors import N_, PortalProblemError, Problem

# Deliberately loose: one @, something on each side, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,18}[0-9]$")


def _check(field: str, code: str, message: str, pattern: re.Pattern[str] | None = None) -> AfterValidator:
    """A validator that reports its own code and message on its field (the API's error shape)."""

    def check(value: str) -> str:
        value = " ".join(value.split())
        match = pattern.match(value) if pattern else None
        if not value or (pattern and not match):
            raise PortalProblemError(Problem(code, message, field))
        if pattern is _POSTCODE and match:
            return f"{match.group(1)} {match.group(2).upper()}"
        return value

    return AfterValidator(check)


def _text(field: str, max_length: int = 200) -> object:
    return Annotated[str, Field(max_length=max_length), _check(field, "required", N_("This field is required."))]


def _email(field: str) -> object:
    return Annotated[str, Field(max_length=200), _check(field, "invalid_email", N_("Enter a valid e-mail address."), _EMAIL)]


class MyDetailsOut(BaseModel):
    """The logged-in user's own details; name and e-mail can be changed (§6.1)."""

    username: str
    full_name: str
    email: str
    roles: list[str]

    @classmethod
    def of(cls, user: User) -> MyDetailsOut:
        """The user's details."""
        return cls(username=user.username, full_name=user.full_name, email=user.email, roles=list(user.roles))


class MyDetailsUpdate(BaseModel):
    """New name and/or e-mail address; other fields (username, roles) are refused as read-only."""

    model_config = ConfigDict(extra="allow")

    full_name: _text("full_name") | None = None
    email: _email("email") | None = None


class CompanyOut(BaseModel):
    """The company's details; only the postal address and the contact person can be changed (§6.2)."""

    name: str
    chamber_of_commerce_number: str
    postal_street: str
    postal_postcode: str
    postal_city: str
    contact_name: str
    contact_email: str
    contact_phone: str
    editable: list[str]

    @classmethod
    def of(cls, employer: Employer, editable: list[str]) -> CompanyOut:
        """The employer's details, with the names of the fields the portal lets the user change."""
        return cls(
            name=employer.name,
            chamber_of_commerce_number=employer.chamber_of_commerce_number,
            postal_street=employer.postal_street,
            postal_postcode=employer.postal_postcode,
            postal_city=employer.postal_city,
            contact_name=employer.contact_name,
            contact_email=employer.contact_email,
            contact_phone=employer.contact_phone,
            editable=editable,
        )


class CompanyUpdate(BaseModel):
    """New postal address and/or contact person; every other company field is refused as read-only."""

    model_config = ConfigDict(extra="allow")

    postal_street: _text("postal_street") | None = None
    postal_postcode: Annotated[str, Field(max_length=10), _check(
        "postal_postcode", "invalid_postcode", N_("Enter a Dutch postcode, such as 3500 BD."), _POSTCODE)] | None = None
    postal_city: _text("postal_city", 100) | None = None
    contact_name: _text("contact_name") | None = None
    contact_email: _email("contact_email") | None = None
    contact_phone: Annotated[str, Field(max_length=40), _check(
        "contact_phone", "invalid_phone", N_("Enter a valid telephone number."), _PHONE)] | None = None


class AdvisorOut(BaseModel):
    """The company's financial advisor (read only, §6.3)."""

    name: str
    firm: str
    email: str
    phone: str

    @classmethod
    def of(cls, employer: Employer) -> AdvisorOut:
        """The advisor as recorded by the insurer."""
        return cls(name=employer.advisor_name, firm=employer.advisor_firm, email=employer.advisor_email,
                   phone=employer.advisor_phone)
