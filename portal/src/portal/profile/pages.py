"""The contact-details page (§6): my details and my company with an edit button each, my advisor read only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.errors import N_, PortalError, PortalProblemError
from portal.i18n import translate
from portal.profile.schemas import CompanyUpdate, MyDetailsUpdate
from portal.profile.service import employer_of, update_company, update_my_details
from portal.web.session import PagePrincipal, require_csrf
from portal.web.templating import render_page

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
SECTIONS = ("me", "company", "advisor")
SAVED = {"me": N_("Your details have been saved."), "company": N_("The company details have been saved.")}
INVALID = N_("This value is not valid.")


def _allowed(principal: Principal) -> bool:
    try:
        require(Permission.edit_contact_details)(principal)
    except PortalError:
        return False
    return True


def _page(request: Request, principal: Principal, session: Session, status_code: int = 200, **extra: object) -> Response:
    context = {"section": "me", "editing": None, "errors": {}, "values": {}, "saved": None, **extra}
    return render_page(request, principal, "profile.html", status_code=status_code,
                       company=employer_of(session, principal), **context)


def _field_errors(exc: ValidationError, language: str) -> dict[str, str]:
    """Each field's first problem in the user's language, as the API would report it."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, PortalProblemError) and cause.problem.field:
            errors.setdefault(cause.problem.field, cause.problem.render(language)["message"] or "")
        else:
            errors.setdefault(str(error["loc"][-1]), translate(INVALID, language))
    return errors


@router.get("/profile")
def profile_page(request: Request, principal: PagePrincipal, session: SessionDep, section: str = "me",
                 edit: str | None = None, saved: str | None = None) -> Response:
    """One of the three tabs; `edit` opens the form of my details or my company ('aanpassen')."""
    if not _allowed(principal):
        return render_page(request, principal, "forbidden.html", status_code=403)
    section = section if section in SECTIONS else "me"
    editing = edit if edit in ("me", "company") else None
    return _page(request, principal, session, section=editing or section, editing=editing,
                 saved=SAVED.get(saved or ""))


def _submit(request: Request, principal: Principal, session: Session, which: str, values: dict[str, str]) -> Response:
    if not _allowed(principal):
        return render_page(request, principal, "forbidden.html", status_code=403)
    model: type[BaseModel] = MyDetailsUpdate if which == "me" else CompanyUpdate
    try:
        body = model(**values)
        if which == "me":
            update_my_details(session, principal, body)  # type: ignore[arg-type]
        else:
            update_company(session, principal, body)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _page(request, principal, session, 422, section=which, editing=which, values=values,
                     errors=_field_errors(exc, principal.language))
    except PortalError as exc:
        session.rollback()
        errors = {p.field or "": p.render(principal.language)["message"] for p in exc.problems}
        return _page(request, principal, session, exc.status_code, section=which, editing=which, values=values,
                     errors=errors)
    return RedirectResponse(f"/profile?section={which}&saved={which}", status_code=303)


# Only the editable fields are form parameters: the pages cannot be made to change anything else.
FormText = Annotated[str, Form(max_length=300)]


@router.post("/profile/me", dependencies=[Depends(require_csrf)])
def save_my_details(request: Request, principal: PagePrincipal, session: SessionDep, full_name: FormText = "",
                    email: FormText = "") -> Response:
    """Saves the user's name and e-mail address with the API's rules."""
    return _submit(request, principal, session, "me", {"full_name": full_name, "email": email})


@router.post("/profile/company", dependencies=[Depends(require_csrf)])
def save_company(
    request: Request, principal: PagePrincipal, session: SessionDep, postal_street: FormText = "",
    postal_postcode: FormText = "", postal_city: FormText = "", contact_name: FormText = "",
    contact_email: FormText = "", contact_phone: FormText = "",
) -> Response:
    """Saves the company's postal address and contact person with the API's rules."""
    values = {"postal_street": postal_street, "postal_postcode": postal_postcode, "postal_city": postal_city,
              "contact_name": contact_name, "contact_email": contact_email, "contact_phone": contact_phone}
    return _submit(request, principal, session, "company", values)
