"""Contact-details endpoints (§6, R14): my details, my company, my advisor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.profile.schemas import AdvisorOut, CompanyOut, CompanyUpdate, MyDetailsOut, MyDetailsUpdate
from portal.profile.service import COMPANY_EDITABLE, employer_of, update_company, update_my_details

router = APIRouter(prefix="/api/profile", tags=["contact details"])
# Every employer role may see and change its own and the company's contact details (R1, R14).
ContactUser = Annotated[Principal, Depends(require(Permission.edit_contact_details))]
SessionDep = Annotated[Session, Depends(get_session)]


@router.get("/me", response_model=MyDetailsOut)
def my_details(principal: ContactUser) -> MyDetailsOut:
    """The logged-in user's name, e-mail address, username and roles."""
    return MyDetailsOut.of(principal.user)


@router.patch("/me", response_model=MyDetailsOut)
def change_my_details(body: MyDetailsUpdate, principal: ContactUser, session: SessionDep) -> MyDetailsOut:
    """Changes the user's name and/or e-mail address; other fields answer 422 `read_only_field`."""
    return MyDetailsOut.of(update_my_details(session, principal, body))


@router.get("/company", response_model=CompanyOut)
def company(principal: ContactUser, session: SessionDep) -> CompanyOut:
    """The company's details; `editable` names the fields the portal lets the user change."""
    return CompanyOut.of(employer_of(session, principal), list(COMPANY_EDITABLE))


@router.patch("/company", response_model=CompanyOut)
def change_company(body: CompanyUpdate, principal: ContactUser, session: SessionDep) -> CompanyOut:
    """Changes the postal address and/or contact person; other fields answer 422 `read_only_field`."""
    return CompanyOut.of(update_company(session, principal, body), list(COMPANY_EDITABLE))


@router.get("/advisor", response_model=AdvisorOut)
def advisor(principal: ContactUser, session: SessionDep) -> AdvisorOut:
    """The company's financial advisor, read only."""
    return AdvisorOut.of(employer_of(session, principal))
