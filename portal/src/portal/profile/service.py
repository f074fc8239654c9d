"""Changing contact details (§6, R14): the user's name and e-mail, the company's postal address and contact person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal
from portal.accounts.models import User
from portal.audit.service import record
from portal.employers.models import Employer
from portal.errors import N_, PortalError, Problem, forbidden
from portal.profile.schemas import CompanyUpdate, MyDetailsUpdate

MY_EDITABLE = ("full_name", "email")
# R14: only the postal address and the contact person; the rest goes through the insurer (§6.2).
COMPANY_EDITABLE = ("postal_street", "postal_postcode", "postal_city", "contact_name", "contact_email", "contact_phone")
READ_ONLY = N_("This detail cannot be changed in the portal. Please contact us to have it changed.")


def employer_of(session: Session, principal: Principal) -> Employer:
    """The caller's employer; insurer staff have none."""
    employer = session.get(Employer, principal.employer_id) if principal.employer_id is not None else None
    if employer is None:
        raise forbidden()
    return employer


def _refuse_read_only(extra: dict[str, Any] | None) -> None:
    """422 naming every field the request tried to change that the portal does not let the user change."""
    if extra:
        raise PortalError(422, *[Problem("read_only_field", READ_ONLY, name) for name in sorted(extra)])


def _changes(body: MyDetailsUpdate | CompanyUpdate, fields: tuple[str, ...]) -> dict[str, str]:
    return {name: value for name in fields if (value := getattr(body, name)) is not None}


def update_my_details(session: Session, principal: Principal, body: MyDetailsUpdate) -> User:
    """Changes the user's own name and/or e-mail address (§6.1); an address of another account is refused."""
    _refuse_read_only(body.model_extra)
    user = principal.user
    changes = _changes(body, MY_EDITABLE)
    if "email" in changes:
        address = changes["email"].lower()
        taken = session.scalar(
            select(User.id).where(func.lower(User.email) == address, User.id != user.id).limit(1)
        )
        if taken is not None:
            raise PortalError(422, Problem("email_taken", N_("This e-mail address belongs to another account."), "email"))
        changes["email"] = address
    for name, value in changes.items():
        setattr(user, name, value)
    _audit(session, principal, "contact_details_changed", f"user:{user.id}", sorted(changes))
    session.commit()
    return user


def update_company(session: Session, principal: Principal, body: CompanyUpdate) -> Employer:
    """Changes the company's postal address and/or contact person (§6.2); any other field is refused."""
    _refuse_read_only(body.model_extra)
    employer = employer_of(session, principal)
    changes = _changes(body, COMPANY_EDITABLE)
    for name, value in changes.items():
        setattr(employer, name, value)
    _audit(session, principal, "company_details_changed", f"employer:{employer.id}", sorted(changes))
    session.commit()
    return employer


def _audit(session: Session, principal: Principal, action: str, target: str, fields: list[str]) -> None:
    # Which fields changed, not their values: the audit log holds no addresses.
    record(session, action=action, outcome="accepted", channel=principal.channel, actor_user_id=principal.user.id,
           actor_username=principal.user.username, employer_id=principal.employer_id, target=target,
           detail={"fields": fields})
