"""Response bodies of the document endpoints."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from portal.documents.models import Document, DocumentCategory, DocumentKind
from portal.documents.service import SchemeDocuments


class DocumentOut(BaseModel):
    """A document as listed; `unread` is shared by every user of the employer (§5.2)."""

    id: int
    category: DocumentCategory
    kind: DocumentKind
    title: str
    document_date: date
    filename: str
    size: int
    unread: bool
    opened_at: datetime | None
    download_url: str

    @classmethod
    def of(cls, document: Document, language: str) -> DocumentOut:
        """The document in the user's language."""
        return cls(
            id=document.id,
            category=document.category,
            kind=document.kind,
            title=document.title(language),
            document_date=document.document_date,
            filename=document.filename,
            size=document.size,
            unread=document.unread,
            opened_at=document.opened_at,
            download_url=f"/api/documents/{document.id}/file",
        )


class SchemeDocumentsOut(BaseModel):
    """One scheme's documents of a category, with the number nobody has opened yet."""

    scheme: int
    scheme_name: str
    unread: int
    documents: list[DocumentOut]

    @classmethod
    def of(cls, group: SchemeDocuments, language: str) -> SchemeDocumentsOut:
        """The group in the user's language."""
        return cls(
            scheme=group.scheme.number,
            scheme_name=group.scheme.name,
            unread=group.unread,
            documents=[DocumentOut.of(document, language) for document in group.documents],
        )
