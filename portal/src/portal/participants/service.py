"""Finding an employer's participants: search, filter, sort, page."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from portal.employers.models import Scheme
from portal.errors import not_found
from portal.participants.models import Participant
from portal.participants.search import query_terms

SORT_COLUMNS = {
    "name": Participant.sort_name,
    "number": Participant.number,
    "date_in_service": Participant.date_in_service,
    "fulltime_salary": Participant.fulltime_salary,
    "parttime_percentage": Participant.parttime_percentage,
    "status": Participant.status,
}


def _filtered(employer_id: int, query: str, scheme: int | None) -> Select:
    statement = select(Participant).where(Participant.employer_id == employer_id)
    text = query.strip()
    if text.isdigit():
        statement = statement.where(Participant.number.startswith(text))
    else:
        for term in query_terms(text):
            statement = statement.where(Participant.search_text.contains(term, autoescape=True))
    if scheme is not None:
        statement = statement.join(Scheme).where(Scheme.number == scheme)
    return statement


def search(
    session: Session,
    employer_id: int,
    *,
    query: str = "",
    scheme: int | None = None,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Participant], int]:
    """One page of the employer's participants matching the query, and the total number of matches."""
    statement = _filtered(employer_id, query, scheme)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    column = SORT_COLUMNS[sort]
    order = column.desc() if descending else column.asc()
    rows = session.scalars(
        statement.options(selectinload(Participant.scheme))
        .order_by(order, Participant.number)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), total


def get_participant(session: Session, employer_id: int, number: str) -> Participant:
    """The employer's participant with this number; another employer's answers 404 like a missing one."""
    participant = session.scalar(
        select(Participant).where(Participant.employer_id == employer_id, Participant.number == number)
    )
    if participant is None:
        raise not_found("participant")
    return participant
