"""The participant file as of a date, rebuilt from the mutation history, as a workbook; and its export history."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, joinedload, undefer

from portal.accounts.dependencies import Principal
from portal.audit.service import record
from portal.config import get_settings
from portal.dates import add_months, today
from portal.employers.models import Scheme
from portal.errors import N_, PortalError, Problem, forbidden, not_found
from portal.exports import xlsx
from portal.exports.models import ParticipantExport
from portal.i18n import translate
from portal.mutations.models import Mutation, MutationStatus
from portal.mutations.state import replay
from portal.participants.models import Participant, ParticipantStatus, listed_name

HISTORY_LIMIT = 100
# Participants whose histories are read with one query while the file is written.
CHUNK = 1000
# Spooled: a large file goes to disk while the workbook is written, not into memory.
SPOOL_BYTES = 8 * 1024 * 1024

COLUMNS = (
    N_("Participant number"),
    N_("Name"),
    N_("Scheme"),
    N_("Date of birth"),
    N_("Date in service"),
    N_("Full-time salary"),
    N_("Part-time percentage"),
    N_("Status"),
    N_("Termination date"),
)
STATUS_LABELS = {ParticipantStatus.active: N_("Active"), ParticipantStatus.dormant: N_("Dormant")}
SHEET_TITLE = N_("Participants")
FILE_STEM = N_("participant-file")


@dataclass(frozen=True)
class ExportRow:
    """One participant's line in the file, as the state was on the chosen date."""

    number: str
    name: str
    scheme: str
    birth_date: date
    date_in_service: date
    fulltime_salary: Decimal
    parttime_percentage: Decimal
    status: ParticipantStatus
    termination_date: date | None


def latest_allowed() -> date:
    """The furthest date a file can be made for: as far ahead as changes may be passed on (three months)."""
    return add_months(today(), get_settings().months_ahead_limit)


def resolve_scheme(session: Session, employer_id: int, number: int | None) -> Scheme | None:
    """The chosen scheme (None: all of them); a number the employer does not have is a 422 on the field."""
    if number is None:
        return None
    scheme = session.scalar(select(Scheme).where(Scheme.employer_id == employer_id, Scheme.number == number))
    if scheme is None:
        raise PortalError(422, Problem("unknown_scheme", N_("Choose one of your pension schemes."), "scheme"))
    return scheme


def check_as_of(as_of: date) -> None:
    """R8: any date in the past, or up to three months ahead (future changes already passed on)."""
    latest = latest_allowed()
    if as_of > latest:
        raise PortalError(
            422,
            Problem("as_of_too_late", N_("Choose a date at most three months ahead: {latest} at the latest."), "as_of",
                    {"latest": latest}),
        )


def rows_as_of(session: Session, employer_id: int, as_of: date, scheme: Scheme | None = None) -> Iterator[ExportRow]:
    """Every participant in service on `as_of` with salary, part-time and status as they were then.

    Replays each participant's mutations effective on or before the date (R12), so a retroactive
    change counts from its effective date, just as in the overview. Streams: participants are read in
    chunks of plain rows with the histories of that chunk only, so 100,000 participants never sit in
    memory at once (issue 7: the export stays under 300 MB).
    """
    people_query = (
        select(
            Participant.id, Participant.number, Participant.initials, Participant.infix, Participant.last_name,
            Participant.birth_date, Participant.date_in_service, Participant.fulltime_salary,
            Participant.parttime_percentage, Scheme.number.label("scheme_number"), Scheme.name.label("scheme_name"),
        )
        .join(Scheme, Participant.scheme_id == Scheme.id)
        .where(Participant.employer_id == employer_id, Participant.date_in_service <= as_of)
        .order_by(Participant.number)
    )
    if scheme is not None:
        people_query = people_query.where(Participant.scheme_id == scheme.id)
    # Page by number (keyset, on the (employer, number) index): a chunk of plain rows and its histories at a time.
    last = ""
    while chunk := session.execute(people_query.where(Participant.number > last).limit(CHUNK)).all():
        last = chunk[-1].number
        histories = _histories(session, [person.id for person in chunk], as_of)
        for person in chunk:
            state = replay(person, histories.get(person.id, []), as_of)
            yield ExportRow(
                number=person.number,
                name=listed_name(person.last_name, person.initials, person.infix),
                scheme=f"{person.scheme_number} {person.scheme_name}",
                birth_date=person.birth_date,
                date_in_service=person.date_in_service,
                fulltime_salary=state.fulltime_salary,
                parttime_percentage=state.parttime_percentage,
                status=state.status,
                termination_date=state.termination_date,
            )


def _histories(session: Session, participant_ids: list[int], as_of: date) -> dict[int, list[Row]]:
    """The mutations that count, effective on or before the date, per participant in the order they take effect."""
    histories: dict[int, list[Row]] = defaultdict(list)
    statement = (
        select(Mutation.participant_id, Mutation.type, Mutation.effective_date, Mutation.payload)
        .where(
            Mutation.participant_id.in_(participant_ids),
            Mutation.status != MutationStatus.rejected,
            Mutation.effective_date <= as_of,
        )
        .order_by(Mutation.participant_id, Mutation.effective_date, Mutation.requested_at, Mutation.id)
    )
    for mutation in session.execute(statement):
        histories[mutation.participant_id].append(mutation)
    return histories


class _Counted:
    """An iterable that counts what passes through it."""

    def __init__(self, items: Iterable[ExportRow]) -> None:
        self.items, self.count = items, 0

    def __iter__(self) -> Iterator[ExportRow]:
        for item in self.items:
            self.count += 1
            yield item


WIDTHS_AND_KINDS = ((14, "text"), (30, "text"), (40, "text"), (14, "date"), (14, "date"), (16, "money"),
                    (12, "percent"), (10, "text"), (14, "date"))


def workbook_bytes(rows: Iterable[ExportRow], language: str, as_of: date) -> bytes:
    """The file as xlsx, written row by row (a streaming writer, so memory stays flat for large files)."""
    columns = [
        xlsx.Column(translate(heading, language), width, kind)
        for heading, (width, kind) in zip(COLUMNS, WIDTHS_AND_KINDS, strict=True)
    ]
    status_labels = {status: translate(label, language) for status, label in STATUS_LABELS.items()}
    lines = (
        (row.number, row.name, row.scheme, row.birth_date, row.date_in_service, row.fulltime_salary,
         row.parttime_percentage, status_labels[row.status], row.termination_date)
        for row in rows
    )
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buffer:
        xlsx.write(buffer, f"{translate(SHEET_TITLE, language)} {as_of.isoformat()}", columns, lines)
        buffer.seek(0)
        return buffer.read()


def create_export(session: Session, principal: Principal, as_of: date, scheme_number: int | None) -> ParticipantExport:
    """Makes the file as of the date, keeps it in the export history and returns the history entry."""
    employer_id = principal.employer_id
    if employer_id is None:
        raise forbidden()
    check_as_of(as_of)
    scheme = resolve_scheme(session, employer_id, scheme_number)
    rows = _Counted(rows_as_of(session, employer_id, as_of, scheme))
    content = workbook_bytes(rows, principal.language, as_of)
    suffix = f"-{scheme.number}" if scheme else ""
    export = ParticipantExport(
        employer_id=employer_id,
        requested_by_id=principal.user.id,
        created_at=datetime.now(UTC).replace(tzinfo=None),
        as_of=as_of,
        scheme_number=scheme.number if scheme else None,
        language=principal.language,
        row_count=rows.count,
        filename=f"{translate(FILE_STEM, principal.language)}-{as_of.isoformat()}{suffix}.xlsx",
        size=len(content),
        content=content,
    )
    session.add(export)
    session.flush()
    record(
        session, action="participant_export", outcome="created", channel=principal.channel,
        actor_user_id=principal.user.id, actor_username=principal.user.username, employer_id=employer_id,
        target=f"export:{export.id}", detail={"as_of": as_of.isoformat(), "scheme": export.scheme_number, "rows": rows.count},
    )
    session.commit()
    return export


def export_history(session: Session, employer_id: int) -> list[ParticipantExport]:
    """The employer's exports, newest first (every user of the employer with the right sees them all)."""
    return list(
        session.scalars(
            select(ParticipantExport)
            .where(ParticipantExport.employer_id == employer_id)
            .options(joinedload(ParticipantExport.requested_by))
            .order_by(ParticipantExport.created_at.desc(), ParticipantExport.id.desc())
            .limit(HISTORY_LIMIT)
        ).all()
    )


def export_file(session: Session, employer_id: int, export_id: int) -> ParticipantExport:
    """An earlier export with its file, exactly as it was made; another employer's answers 404."""
    export = session.scalar(
        select(ParticipantExport)
        .where(ParticipantExport.id == export_id, ParticipantExport.employer_id == employer_id)
        .options(undefer(ParticipantExport.content))
    )
    if export is None:
        raise not_found("export")
    return export
