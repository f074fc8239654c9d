"""The participant file as of a date, rebuilt from the mutation history, as a workbook; and its export history."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, undefer

from portal.accounts.dependencies import Principal
from portal.audit.service import record
from portal.config import get_settings
from portal.dates import add_months, today
from portal.employers.models import Scheme
from portal.errors import N_, PortalError, Problem, forbidden, not_found
from portal.exports.models import ParticipantExport
from portal.i18n import translate
from portal.mutations.models import Mutation, MutationStatus
from portal.mutations.state import replay
from portal.participants.models import Participant, ParticipantStatus

HISTORY_LIMIT = 100
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


def rows_as_of(session: Session, employer_id: int, as_of: date, scheme: Scheme | None = None) -> list[ExportRow]:
    """Every participant in service on `as_of` with salary, part-time and status as they were then.

    Replays each participant's mutations effective on or before the date (R12), so a retroactive
    change counts from its effective date, just as in the overview.
    """
    people_query = (
        select(Participant)
        .where(Participant.employer_id == employer_id, Participant.date_in_service <= as_of)
        .options(joinedload(Participant.scheme))
        .order_by(Participant.number)
    )
    history_query = (
        select(Mutation)
        .where(
            Mutation.employer_id == employer_id,
            Mutation.status != MutationStatus.rejected,
            Mutation.effective_date <= as_of,
        )
        .order_by(Mutation.participant_id, Mutation.effective_date, Mutation.requested_at, Mutation.id)
    )
    if scheme is not None:
        people_query = people_query.where(Participant.scheme_id == scheme.id)
    histories: dict[int, list[Mutation]] = defaultdict(list)
    for mutation in session.scalars(history_query):
        histories[mutation.participant_id].append(mutation)
    rows = []
    for person in session.scalars(people_query):
        state = replay(person, histories.get(person.id, []), as_of)
        rows.append(
            ExportRow(
                number=person.number,
                name=person.listed_name,
                scheme=f"{person.scheme.number} {person.scheme.name}",
                birth_date=person.birth_date,
                date_in_service=person.date_in_service,
                fulltime_salary=state.fulltime_salary,
                parttime_percentage=state.parttime_percentage,
                status=state.status,
                termination_date=state.termination_date,
            )
        )
    return rows


def _text(sheet: WriteOnlyWorksheet, value: str, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    # A name starting with '=' must stay text: openpyxl would otherwise write it as a formula.
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _value(sheet: WriteOnlyWorksheet, value: object, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def workbook_bytes(rows: Iterable[ExportRow], language: str, as_of: date) -> bytes:
    """The file as xlsx, written row by row (openpyxl write-only mode, so memory stays flat for large files)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{translate(SHEET_TITLE, language)} {as_of.isoformat()}"[:31])
    sheet.freeze_panes = "A2"
    for width, letter in zip((14, 30, 40, 14, 14, 16, 12, 10, 14), "ABCDEFGHI", strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([_text(sheet, translate(column, language), bold=True) for column in COLUMNS])
    status_labels = {status: translate(label, language) for status, label in STATUS_LABELS.items()}
    for row in rows:
        sheet.append(
            [
                _text(sheet, row.number),
                _text(sheet, row.name),
                _text(sheet, row.scheme),
                _value(sheet, row.birth_date, "DD-MM-YYYY"),
                _value(sheet, row.date_in_service, "DD-MM-YYYY"),
                _value(sheet, row.fulltime_salary, "#,##0.00"),
                _value(sheet, row.parttime_percentage, "0.000"),
                _text(sheet, status_labels[row.status]),
                _value(sheet, row.termination_date, "DD-MM-YYYY") if row.termination_date else None,
            ]
        )
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buffer:
        workbook.save(buffer)
        buffer.seek(0)
        return buffer.read()


def create_export(session: Session, principal: Principal, as_of: date, scheme_number: int | None) -> ParticipantExport:
    """Makes the file as of the date, keeps it in the export history and returns the history entry."""
    employer_id = principal.employer_id
    if employer_id is None:
        raise forbidden()
    check_as_of(as_of)
    scheme = resolve_scheme(session, employer_id, scheme_number)
    rows = rows_as_of(session, employer_id, as_of, scheme)
    content = workbook_bytes(rows, principal.language, as_of)
    suffix = f"-{scheme.number}" if scheme else ""
    export = ParticipantExport(
        employer_id=employer_id,
        requested_by_id=principal.user.id,
        created_at=datetime.now(UTC).replace(tzinfo=None),
        as_of=as_of,
        scheme_number=scheme.number if scheme else None,
        language=principal.language,
        row_count=len(rows),
        filename=f"{translate(FILE_STEM, principal.language)}-{as_of.isoformat()}{suffix}.xlsx",
        size=len(content),
        content=content,
    )
    session.add(export)
    session.flush()
    record(
        session, action="participant_export", outcome="created", channel=principal.channel,
        actor_user_id=principal.user.id, actor_username=principal.user.username, employer_id=employer_id,
        target=f"export:{export.id}", detail={"as_of": as_of.isoformat(), "scheme": export.scheme_number, "rows": len(rows)},
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
