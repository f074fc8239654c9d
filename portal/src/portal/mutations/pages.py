"""The submitted-changes pages (§4.5): the latest change per participant, and the collective uploads.

Both tabs show what `GET /api/changes/individual` and `GET /api/changes/collective` answer: the pages call
the API's handlers as functions, so the rule of R12 (the latest change by effective date) lives in one place.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from portal.accounts.dependencies import require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.errors import PortalError
from portal.mutations.router import collective_changes, individual_changes
from portal.participants.pages import menu_for
from portal.web.formatting import Formatter
from portal.web.labels import labels
from portal.web.session import PagePrincipal
from portal.web.templating import render_page

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
TABS = ("individual", "collective")


@router.get("/changes")
def submitted_changes(request: Request, principal: PagePrincipal, session: SessionDep, tab: str = "individual") -> Response:
    """'Submitted changes individual' (default) or 'collective', as tabs of one page."""
    try:
        require(Permission.view_changes)(principal)
    except PortalError:
        return render_page(request, principal, "forbidden.html", status_code=403)
    tab = tab if tab in TABS else "individual"
    rows = individual_changes(principal, session) if tab == "individual" else collective_changes(principal, session)
    return render_page(
        request, principal, "changes.html",
        tab=tab, rows=rows, fmt=Formatter(principal.language), labels=labels(), menu=menu_for(principal),
        path=f"/changes?tab={tab}",
    )

