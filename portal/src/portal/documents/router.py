"""Document endpoints (§5, R13): financial and legal documents per scheme, and the PDF itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.documents.models import DocumentCategory
from portal.documents.schemas import SchemeDocumentsOut
from portal.documents.service import documents_by_scheme, open_document
from portal.downloads import PDF, attachment

router = APIRouter(prefix="/api/documents", tags=["documents"])
SchemeQuery = Annotated[int | None, Query(description="Scheme number; every scheme when left out")]


@router.get("/financial", response_model=list[SchemeDocumentsOut])
def financial_documents(
    principal: Annotated[Principal, Depends(require(Permission.view_financial_documents))],
    session: Annotated[Session, Depends(get_session)],
    scheme: SchemeQuery = None,
) -> list[SchemeDocumentsOut]:
    """Invoices, booking overviews and reminders per scheme (Finance and User Management only)."""
    groups = documents_by_scheme(session, principal, DocumentCategory.financial, scheme)
    return [SchemeDocumentsOut.of(group, principal.language) for group in groups]


@router.get("/legal", response_model=list[SchemeDocumentsOut])
def legal_documents(
    principal: Annotated[Principal, Depends(require(Permission.view_schemes))],
    session: Annotated[Session, Depends(get_session)],
    scheme: SchemeQuery = None,
) -> list[SchemeDocumentsOut]:
    """Regulations, the execution agreement and addenda per scheme."""
    groups = documents_by_scheme(session, principal, DocumentCategory.legal, scheme)
    return [SchemeDocumentsOut.of(group, principal.language) for group in groups]


@router.get("/{document_id}/file", response_class=StreamingResponse,
            responses={200: {"content": {PDF: {}}, "description": "The PDF, as an attachment"}})
def document_file(
    document_id: int,
    principal: Annotated[Principal, Depends(require(Permission.view_schemes))],
    session: Annotated[Session, Depends(get_session)],
) -> StreamingResponse:
    """The PDF; opening it clears the unread mark for every user of the employer."""
    document = open_document(session, principal, document_id)
    return attachment(document.content, document.filename, PDF)
