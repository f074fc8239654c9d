"""The 'create portal account' page (§2): User Management creates accounts for its own employer.

The same service as POST /api/accounts; users without the right do not see the tile and get the
'not allowed' page here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portal.accounts import management
from portal.accounts.dependencies import Principal
from portal.accounts.permissions import Permission, allows
from portal.accounts.schemas import EMAIL_PATTERN, INVALID_EMAIL
from portal.db import get_session
from portal.errors import N_, PortalError, Problem
from portal.i18n import SUPPORTED
from portal.mail.service import deliver_later
from portal.web.session import PagePrincipal, require_csrf
from portal.web.templating import render_page

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
NEW_ACCOUNT_PATH = "/accounts/new"
ROLES_REQUIRED = N_("Choose at least one role.")
NAME_REQUIRED = N_("Fill in the name.")

# §2.1-2.3: what each role may do, shown next to its checkbox.
ROLE_CHOICES = (
    ("user_management", N_("User Management"), N_("All rights, including creating portal accounts for others.")),
    ("hr", N_("HR"), N_("Make changes, export data, and view the pension scheme and participants. No financial documents.")),
    ("finance", N_("Finance"), N_("Only financial documents and the pension scheme details; may change the contact details of the user and the company.")),
)


def _may_manage(principal: Principal) -> bool:
    return principal.employer_id is not None and allows(principal.user.roles, Permission.manage_accounts)


def _form_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    form: dict | None = None,
    errors: list[str] | None = None,
    created: bool = False,
    status_code: int = 200,
) -> Response:
    return render_page(
        request,
        principal,
        "accounts_new.html",
        status_code,
        role_choices=ROLE_CHOICES,
        form=form or {"full_name": "", "email": "", "roles": [], "language": "nl"},
        errors=errors or [],
        created=created,
        accounts=management.list_accounts(session, principal.employer_id),
    )


@router.get(NEW_ACCOUNT_PATH)
def new_account_page(request: Request, principal: PagePrincipal, session: SessionDep, created: int = 0) -> Response:
    """The form (name, e-mail address, roles, language) and the employer's accounts."""
    if not _may_manage(principal):
        return render_page(request, principal, "forbidden.html", status_code=403)
    return _form_page(request, principal, session, created=bool(created))


def _form_problems(full_name: str, email: str, roles: list[str]) -> list[Problem]:
    problems = []
    if not full_name.strip():
        problems.append(Problem("required", NAME_REQUIRED, "full_name"))
    if not EMAIL_PATTERN.match(email.strip()):
        problems.append(Problem("invalid_email", INVALID_EMAIL, "email"))
    if not roles:
        problems.append(Problem("roles_required", ROLES_REQUIRED, "roles"))
    return problems


@router.post(NEW_ACCOUNT_PATH, dependencies=[Depends(require_csrf)])
def new_account_submit(
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    background: BackgroundTasks,
    full_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    language: Annotated[str, Form(max_length=2)] = "nl",
) -> Response:
    """Creates the account and sends its owner the activation e-mail; mistakes are shown on the form."""
    if not _may_manage(principal):
        return render_page(request, principal, "forbidden.html", status_code=403)
    chosen = sorted({role for role in roles or [] if role in {key for key, _, _ in ROLE_CHOICES}})
    form = {"full_name": full_name, "email": email, "roles": chosen, "language": language if language in SUPPORTED else "nl"}
    try:
        problems = _form_problems(full_name, email, chosen)
        if problems:
            raise PortalError(422, *problems)
        management.create_account(session, principal, management.NewAccount(full_name, email, chosen, form["language"]))
    except PortalError as exc:
        errors = [problem.render(principal.language)["message"] for problem in exc.problems]
        return _form_page(request, principal, session, form=form, errors=errors, status_code=exc.status_code)
    deliver_later(background)
    return RedirectResponse(f"{NEW_ACCOUNT_PATH}?created=1", status_code=303)
