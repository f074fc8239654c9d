"""The scheme page (§7): details and coverage per scheme, with a choice when the employer has several."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from portal.accounts.permissions import Permission, allows
from portal.db import get_session
from portal.employers.service import schemes_of
from portal.web.session import PagePrincipal
from portal.web.templating import render_page

router = APIRouter(include_in_schema=False)


@router.get("/scheme")
def scheme_page(
    request: Request, principal: PagePrincipal, session: Annotated[Session, Depends(get_session)], scheme: int | None = None
) -> Response:
    """One scheme's details and coverages; the first scheme unless the user chose another."""
    if principal.employer_id is None or not allows(principal.user.roles, Permission.view_schemes):
        return render_page(request, principal, "forbidden.html", status_code=403)
    schemes = schemes_of(session, principal.employer_id)
    chosen = next((s for s in schemes if s.number == scheme), schemes[0] if schemes else None)
    return render_page(request, principal, "scheme.html", schemes=schemes, chosen=chosen,
                       may_export=allows(principal.user.roles, Permission.export_participants))
