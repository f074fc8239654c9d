"""The employer's schemes (§7, R15), read only: the portal passes on no scheme changes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.employers.models import Scheme
from portal.errors import not_found


def schemes_of(session: Session, employer_id: int | None) -> list[Scheme]:
    """The employer's schemes in order, with their coverages."""
    return list(
        session.scalars(
            select(Scheme)
            .where(Scheme.employer_id == employer_id)
            .options(selectinload(Scheme.coverages))
            .order_by(Scheme.number)
        ).all()
    )


def scheme_of(session: Session, employer_id: int | None, number: int) -> Scheme:
    """One of the employer's schemes by its number; 404 for a number the employer does not have."""
    scheme = session.scalar(
        select(Scheme)
        .where(Scheme.employer_id == employer_id, Scheme.number == number)
        .options(selectinload(Scheme.coverages))
    )
    if scheme is None:
        raise not_found("scheme")
    return scheme
