"""The document pages (§5): financial and legal documents per scheme; a download clears the unread mark for all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.documents.models import DocumentCategory
from portal.documents.service import documents_by_scheme, ensure_may_see, open_document
from portal.downloads import PDF, attachment
from portal.employers.service import schemes_of
from portal.errors import PortalError
from portal.i18n import N_, long_date
from portal.web.session import PagePrincipal
from portal.web.templating import render_page

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]

KIND_LABELS = {
    "invoice": N_("Invoice"),
    "booking_overview": N_("Booking overview"),
    "reminder": N_("Reminder"),
    "regulations": N_("Pension regulations"),
    "agreement": N_("Execution agreement"),
    "addendum": N_("Addendum"),
}
PAGES = {
    DocumentCategory.financial: (
        N_("Financial documents"),
        N_("The invoices, booking overviews and any reminders of your pension schemes."),
    ),
    DocumentCategory.legal: (
        N_("Legal documents"),
        N_("The pension regulations, the execution agreement and any addenda of your pension schemes."),
    ),
}


def _documents_page(request: Request, principal: Principal, session: Session, category: DocumentCategory,
                    scheme: int | None) -> Response:
    try:
        ensure_may_see(principal, category)
    except PortalError:
        return render_page(request, principal, "forbidden.html", status_code=403)
    heading, intro = PAGES[category]
    return render_page(
        request, principal, "documents.html",
        heading=heading, intro=intro, kinds=KIND_LABELS, long_date=long_date, chosen=scheme,
        schemes=schemes_of(session, principal.employer_id),
        groups=documents_by_scheme(session, principal, category, scheme),
    )


@router.get("/documents/financial")
def financial_page(request: Request, principal: PagePrincipal, session: SessionDep, scheme: int | None = None) -> Response:
    """Invoices, booking overviews and reminders (Finance and User Management)."""
    return _documents_page(request, principal, session, DocumentCategory.financial, scheme)


@router.get("/documents/legal")
def legal_page(request: Request, principal: PagePrincipal, session: SessionDep, scheme: int | None = None) -> Response:
    """Regulations, the execution agreement and addenda."""
    return _documents_page(request, principal, session, DocumentCategory.legal, scheme)


@router.get("/documents/{document_id}/file")
def document_download(request: Request, principal: PagePrincipal, session: SessionDep, document_id: int) -> Response:
    """The PDF as a download; the same rules as the API (role per category, other employers' answer 404)."""
    try:
        # As the API's dependency: who may see no document at all (the service desk) is refused before any lookup.
        require(Permission.view_schemes)(principal)
        document = open_document(session, principal, document_id)
    except PortalError as exc:
        template = "forbidden.html" if exc.status_code == 403 else "not_found.html"
        return render_page(request, principal, template, status_code=exc.status_code)
    return attachment(document.content, document.filename, PDF)
