"""Listing and opening documents: the role decides the category (R13), the first opening clears the mark for all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from portal.accounts.dependencies import Principal
from portal.accounts.permissions import Permission, allows
from portal.documents.models import Document, DocumentCategory
from portal.employers.models import Scheme
from portal.errors import forbidden, not_found

# R13: financial documents for Finance and User Management; legal ones for whoever may see the scheme.
CATEGORY_PERMISSION = {
    DocumentCategory.financial: Permission.view_financial_documents,
    DocumentCategory.legal: Permission.view_schemes,
}


@dataclass(frozen=True)
class SchemeDocuments:
    """One scheme's documents of a category, newest first, and how many nobody has opened yet."""

    scheme: Scheme
    documents: list[Document]

    @property
    def unread(self) -> int:
        """Documents of this scheme nobody of the employer has opened yet."""
        return sum(1 for document in self.documents if document.unread)


def ensure_may_see(principal: Principal, category: DocumentCategory) -> None:
    """403 when the caller's roles do not allow this category (HR never sees financial documents)."""
    if principal.employer_id is None or not allows(principal.user.roles, CATEGORY_PERMISSION[category]):
        raise forbidden()


def documents_by_scheme(
    session: Session, principal: Principal, category: DocumentCategory, scheme_number: int | None = None
) -> list[SchemeDocuments]:
    """The employer's documents of a category per scheme (in the schemes' order), optionally one scheme only."""
    ensure_may_see(principal, category)
    query = (
        select(Document)
        .join(Document.scheme)
        .where(Document.employer_id == principal.employer_id, Document.category == category)
        .options(joinedload(Document.scheme))
        .order_by(Scheme.number, Document.document_date.desc(), Document.id.desc())
    )
    if scheme_number is not None:
        query = query.where(Scheme.number == scheme_number)
    groups: dict[int, SchemeDocuments] = {}
    for document in session.scalars(query).all():
        groups.setdefault(document.scheme_id, SchemeDocuments(document.scheme, [])).documents.append(document)
    return list(groups.values())


def open_document(session: Session, principal: Principal, document_id: int) -> Document:
    """The document with its PDF; the first opening by anyone of the employer clears the unread mark for all (§5.2).

    Another employer's document answers 404 like a missing one; a category the role does not allow 403.
    """
    document = session.scalar(
        select(Document).where(Document.id == document_id, Document.employer_id == principal.employer_id)
    )
    if document is None or principal.employer_id is None:
        raise not_found("document")
    ensure_may_see(principal, document.category)
    if document.opened_at is None:
        # Conditional update: when two users open it at once, the first one stays recorded.
        session.execute(
            update(Document)
            .where(Document.id == document.id, Document.opened_at.is_(None))
            .values(opened_at=datetime.now(UTC).replace(tzinfo=None), opened_by_id=principal.user.id)
        )
        session.commit()
        session.refresh(document)
    return document
