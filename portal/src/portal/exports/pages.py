"""The export page (§4.2.4): choose a date (and a scheme), get the participant file, download earlier files again."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal
from portal.accounts.permissions import Permission, allows
from portal.config import get_settings
from portal.dates import today
from portal.db import get_session
from portal.downloads import XLSX, attachment
from portal.employers.service import schemes_of
from portal.errors import N_, PortalError
from portal.exports.service import create_export, export_file, export_history, latest_allowed
from portal.i18n import long_date, translate
from portal.web.session import PagePrincipal, require_csrf
from portal.web.templating import render_page

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
INVALID_DATE = N_("Enter a valid date (YYYY-MM-DD).")


def _local(moment: datetime) -> datetime:
    """A stored (naive UTC) moment in the insurer's time zone, as the user reads the clock."""
    return moment.replace(tzinfo=UTC).astimezone(get_settings().tz)


def _may_export(principal: Principal) -> bool:
    return principal.employer_id is not None and allows(principal.user.roles, Permission.export_participants)


def _page(request: Request, principal: Principal, session: Session, status_code: int = 200, **extra: object) -> Response:
    context: dict[str, object] = {"as_of": today().isoformat(), "scheme": None, "error": None, "created": None, **extra}
    return render_page(
        request, principal, "export.html", status_code=status_code,
        schemes=schemes_of(session, principal.employer_id), history=export_history(session, principal.employer_id),
        latest=latest_allowed().isoformat(), long_date=long_date, local=_local, **context,
    )


@router.get("/export")
def export_page(request: Request, principal: PagePrincipal, session: SessionDep, created: int | None = None) -> Response:
    """The date (and scheme) form and the export history."""
    if not _may_export(principal):
        return render_page(request, principal, "forbidden.html", status_code=403)
    return _page(request, principal, session, created=created)


@router.post("/export", dependencies=[Depends(require_csrf)])
def export_submit(
    request: Request, principal: PagePrincipal, session: SessionDep,
    as_of: Annotated[str, Form(max_length=20)] = "", scheme: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Makes the file with the API's rules, then shows it at the top of the history."""
    if not _may_export(principal):
        return render_page(request, principal, "forbidden.html", status_code=403)
    scheme_number = int(scheme) if scheme.isdigit() else None
    try:
        chosen = date.fromisoformat(as_of)
    except ValueError:
        error = translate(INVALID_DATE, principal.language)
        return _page(request, principal, session, 422, as_of=as_of, scheme=scheme_number, error=error)
    try:
        export = create_export(session, principal, chosen, scheme_number)
    except PortalError as exc:
        session.rollback()
        error = exc.problems[0].render(principal.language)["message"]
        return _page(request, principal, session, exc.status_code, as_of=as_of, scheme=scheme_number, error=error)
    return RedirectResponse(f"/export?created={export.id}", status_code=303)


@router.get("/export/{export_id}/file")
def export_download(request: Request, principal: PagePrincipal, session: SessionDep, export_id: int) -> Response:
    """An export's workbook, exactly as it was made."""
    if not _may_export(principal):
        return render_page(request, principal, "forbidden.html", status_code=403)
    try:
        export = export_file(session, principal.employer_id, export_id)
    except PortalError:
        return render_page(request, principal, "not_found.html", status_code=404)
    return attachment(export.content, export.filename, XLSX)
