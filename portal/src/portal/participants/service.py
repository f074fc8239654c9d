"""Finding an employer's participants: search, filter, sort, page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, distinct, false, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from portal.employers.models import Scheme
from portal.errors import not_found
from portal.participants.bsn import is_valid_bsn
from portal.participants.models import NameWord, Participant, ParticipantWord
from portal.participants.search import query_terms

# A fragment this many participants have counts as broad (see `_name_plan`).
BROAD_MATCH = 2000
# Orders an index can give for one employer: (employer, sort name, number) and (employer, number).
INDEXED_SORTS = ("name", "number")
SORT_COLUMNS = {
    "name": Participant.sort_name,
    "number": Participant.number,
    "date_in_service": Participant.date_in_service,
    "fulltime_salary": Participant.fulltime_salary,
    "parttime_percentage": Participant.parttime_percentage,
    "status": Participant.status,
}


def _number_prefix(prefix: str) -> ColumnElement[bool]:
    # LIKE 'x%' cannot use the (employer, number) index in SQLite; the equivalent range can. Numbers are digits,
    # so every number starting with the prefix lies in [prefix, prefix with its last digit raised).
    condition = Participant.number.startswith(prefix, autoescape=True)
    if prefix.strip("9"):
        head = prefix.rstrip("9")
        upper = head[:-1] + str(int(head[-1]) + 1)
        return Participant.number.between(prefix, upper) & (Participant.number != upper) & condition
    return (Participant.number >= prefix) & condition


def _words_containing(session: Session, employer_id: int, term: str) -> tuple[list[str], int]:
    """The employer's name words containing the fragment, and how many participants have one of them (at most)."""
    rows = session.execute(
        select(NameWord.word, NameWord.participants)
        .where(NameWord.employer_id == employer_id, NameWord.word.contains(term, autoescape=True))
    ).all()
    return [row.word for row in rows], sum(row.participants for row in rows)


@dataclass
class _Plan:
    """How one search runs: what a match must satisfy, how the matches are counted, whether they are many."""

    conditions: list[ColumnElement[bool]]
    count: Select | None = None  # None: count the participants matching `conditions`
    broad: bool = False
    size: int | None = None  # the number of matches, when known already


def _name_plan(session: Session, employer_id: int, query: str, walkable: bool) -> _Plan:
    # Each word of the query must occur in one of the participant's name words (as `search_text` holds them).
    # The rarest fragment picks the candidates through the word index; the others are checked per candidate,
    # so 'de jong' reads the few Jongs and not every 'de'.
    matches = sorted((_words_containing(session, employer_id, term) for term in query_terms(query)), key=lambda m: m[1])
    if not matches:
        return _Plan([Participant.employer_id == employer_id])
    if not matches[0][0]:
        return _Plan([false()])
    (rarest, estimate), *others = matches
    postings = aliased(ParticipantWord)
    candidates = (
        select(postings.participant_id)
        .where(postings.employer_id == employer_id, postings.word.in_(rarest))
        .where(*[
            select(ParticipantWord.participant_id)
            .where(ParticipantWord.employer_id == employer_id, ParticipantWord.word.in_(words),
                   ParticipantWord.participant_id == postings.participant_id)
            .exists()
            for words, _ in others
        ])
    )
    broad = walkable and estimate > BROAD_MATCH
    # Many matches: '+ 0' keeps the database from starting at the candidates (and sorting thousands of them),
    # so it walks the (employer, name) index in order and stops after one page; few: it starts at them.
    key = Participant.id + 0 if broad else Participant.id
    return _Plan(
        [Participant.employer_id == employer_id, key.in_(candidates)],
        # The word index counts on its own: no participant row is read.
        count=candidates.with_only_columns(func.count(distinct(postings.participant_id))),
        broad=broad,
    )


def _plan(session: Session, employer_id: int, query: str, scheme: int | None, sort: str) -> _Plan:
    text = query.strip()
    if text.isdigit():
        # Digits are a participant number (or its beginning), or a whole BSN. The employer goes inside each side
        # of the OR, so each side can use its own index: (employer, number) and (employer, BSN).
        by_number = (Participant.employer_id == employer_id) & _number_prefix(text)
        by_bsn = (Participant.employer_id == employer_id) & (Participant.bsn == text.zfill(9))
        plan = _Plan([or_(by_number, by_bsn) if is_valid_bsn(text) else by_number])
    else:
        # Name and number order have an index to walk; the other columns are sorted after the search.
        plan = _name_plan(session, employer_id, text, walkable=sort in INDEXED_SORTS)
    if scheme is not None:
        plan.conditions.append(Participant.scheme_id.in_(
            select(Scheme.id).where(Scheme.employer_id == employer_id, Scheme.number == scheme)))
        plan.count, plan.size = None, None
    return plan


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
    plan = _plan(session, employer_id, query, scheme, sort)
    if plan.size is not None:
        total = plan.size
    else:
        count = plan.count if plan.count is not None else select(func.count(Participant.id)).where(*plan.conditions)
        total = session.scalar(count) or 0
    if not total:
        return [], 0
    column = SORT_COLUMNS[sort]
    if sort in INDEXED_SORTS and not plan.broad:
        # Few matches: sort them. A plain indexed column tempts PostgreSQL (LIMIT 6, ORDER BY name) to walk the
        # whole name index looking for them ('sophie kramer': 2.6 s); an expression it cannot walk keeps it honest.
        column = column + ""
    order = column.desc() if descending else column.asc()
    # The scheme (many-to-one, a few rows per employer) joined in: one statement per page instead of two.
    rows = session.scalars(
        select(Participant)
        .where(*plan.conditions)
        .options(joinedload(Participant.scheme))
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
