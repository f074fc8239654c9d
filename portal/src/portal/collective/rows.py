"""The rows of a collective upload: read from the workbook's cells, then checked by the rules of an individual change.

Reading turns cells into plain values (stored as JSON until processing); checking looks at the participants as
they are now, so it runs when the file is uploaded and again when it is processed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.collective.problems import CellProblem, at
from portal.collective.workbooks import EXAMPLE_BSN, Cell, CellValueError, date_value, number, text
from portal.errors import N_, PortalError, Problem
from portal.mutations import rules as mutation_rules
from portal.mutations.models import Mutation, MutationStatus
from portal.mutations.schemas import SalaryChangeRequest
from portal.participants.bsn import normalize_bsn
from portal.participants.models import Participant
from portal.registration import rules as registration_rules
from portal.registration.schemas import NewParticipantRequest

Row = dict[str, Any]
OnRow = Callable[[int], None]

SALARY_FIELDS = {"salary": "F", "parttime_percentage": "G", "participant": "A"}
NEW_FIELDS = {
    "scheme": "A", "first_name": "B", "initials": "C", "infix": "D", "last_name": "E", "gender": "F",
    "birth_date": "G", "bsn": "H", "date_in_service": "I", "salary": "J", "parttime_percentage": "K",
}
REQUIRED = N_("this field is required.")
# Values per IN (...) list: within every database's limit on bound parameters.
IN_CHUNK = 500


class _RowReader:
    """Reads one row's cells, collecting a problem per bad cell instead of stopping at the first."""

    def __init__(self, row: int, cells: dict[str, Cell]) -> None:
        self.row, self.cells, self.problems = row, cells, []

    def read(self, column: str, parse: Callable[[Cell], Any], *, required: bool = False) -> Any:
        try:
            value = parse(self.cells[column])
        except CellValueError as error:
            self.problems.append(CellProblem(error.code, error.message, column, error.params, self.row, column))
            return None
        if required and value in (None, ""):
            self.problems.append(CellProblem("required", REQUIRED, column, {}, self.row, column))
        return value

    def fail(self, code: str, message: str, column: str | None = None, **params: Any) -> None:
        self.problems.append(CellProblem(code, message, column, params, self.row, column))


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _placed(problems: list[Problem], row: int, fields: dict[str, str]) -> list[CellProblem]:
    return [at(problem, row, fields.get(problem.field or "")) for problem in problems]


# --- salary and part-time (§4.4.1) ------------------------------------------------------------------


def read_salary_rows(sheet_rows: list[tuple[int, dict[str, Cell]]]) -> tuple[list[Row], list[CellProblem]]:
    """Rows with a new value in F and/or G; rows with both empty leave the participant unchanged."""
    rows: list[Row] = []
    problems: list[CellProblem] = []
    for row, cells in sheet_rows:
        reader = _RowReader(row, cells)
        participant = reader.read("A", text, required=True)
        salary = reader.read("F", number)
        parttime = reader.read("G", number)
        problems += reader.problems
        if reader.problems or (salary is None and parttime is None):
            continue
        rows.append({"row": row, "number": participant, "salary": _decimal_text(salary),
                     "parttime_percentage": _decimal_text(parttime)})
    return rows, problems


def histories_of(
    session: Session, employer_id: int, participant_ids: Iterable[int] | None = None
) -> dict[int, list[Mutation]]:
    """The mutations that count per participant, in the order they take effect: of the given ones, or of all."""
    statement = select(Mutation).where(Mutation.employer_id == employer_id, Mutation.status != MutationStatus.rejected)
    if participant_ids is None:
        mutations = list(session.scalars(statement))
    else:
        # In chunks: a workbook of 10,000 rows should read 10,000 histories, not the employer's 100,000.
        ids = sorted(set(participant_ids))
        mutations = [m for chunk in _chunks(ids) for m in session.scalars(statement.where(Mutation.participant_id.in_(chunk)))]
    grouped: dict[int, list[Mutation]] = defaultdict(list)
    for mutation in sorted(mutations, key=lambda m: (m.effective_date, m.requested_at, m.id)):
        grouped[mutation.participant_id].append(mutation)
    return grouped


def _chunks(values: list, size: int = IN_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def salary_request(row: Row, effective_date: date) -> SalaryChangeRequest:
    """The individual change a row stands for."""
    return SalaryChangeRequest(
        effective_date=effective_date,
        salary=None if row["salary"] is None else Decimal(row["salary"]),
        parttime_percentage=None if row["parttime_percentage"] is None else Decimal(row["parttime_percentage"]),
    )


def employer_participants(
    session: Session, employer_id: int, numbers: Iterable[str] | None = None
) -> dict[str, Participant]:
    """The employer's participants by number: the given numbers (those that exist), or all of them."""
    statement = select(Participant).where(Participant.employer_id == employer_id)
    if numbers is None:
        return {p.number: p for p in session.scalars(statement)}
    wanted = sorted({str(number) for number in numbers})
    return {p.number: p for chunk in _chunks(wanted) for p in session.scalars(statement.where(Participant.number.in_(chunk)))}


def check_salary_rows(
    session: Session, employer_id: int, effective_date: date, rows: list[Row], on_row: OnRow | None = None
) -> list[CellProblem]:
    """Each row by the rules of an individual salary change (R5, R6), plus: known participants, each once."""
    # Only the workbook's participants are read: the file may be a small part of a large employer.
    participants = employer_participants(session, employer_id, (row["number"] for row in rows))
    histories = histories_of(session, employer_id, (p.id for p in participants.values()))
    first_row: dict[str, int] = {}
    problems: list[CellProblem] = []
    for index, row in enumerate(rows):
        problems += _salary_row_problems(row, participants, histories, effective_date, first_row)
        if on_row:
            on_row(index + 1)
    return problems


def _salary_row_problems(
    row: Row, participants: dict[str, Participant], histories: dict[int, list[Mutation]],
    effective_date: date, first_row: dict[str, int],
) -> list[CellProblem]:
    line = row["row"]
    participant = participants.get(row["number"])
    if participant is None:
        return [CellProblem("unknown_participant", N_("your company has no participant with number {number}."), "A",
                            {"number": row["number"]}, line, "A")]
    if row["number"] in first_row:
        return [CellProblem("duplicate_participant", N_("this participant is already in row {first}."), "A",
                            {"first": first_row[row["number"]]}, line, "A")]
    first_row[row["number"]] = line
    try:
        mutation_rules.ensure_changeable(participant)
    except PortalError as error:
        return _placed(error.problems, line, {"participant": "A"})
    problems = mutation_rules.salary_change_problems(salary_request(row, effective_date))
    problems += mutation_rules.effective_date_problems(effective_date, participant, histories.get(participant.id, []))
    return _placed(problems, line, SALARY_FIELDS)


# --- new participants (§4.4.2) ----------------------------------------------------------------------


def _scheme_number(cell: Cell) -> int | None:
    value = number(cell)
    if value is None:
        return None
    if value != value.to_integral_value() or value < 1:
        raise CellValueError("invalid_scheme", N_("enter the number of the pension scheme, such as 1."))
    return int(value)


def _gender(cell: Cell) -> str:
    value = text(cell, 20).upper()
    if value and value not in ("M", "V", "F"):
        raise CellValueError("invalid_gender", N_("enter M (male) or V (female)."))
    return value


def read_new_participant_rows(sheet_rows: list[tuple[int, dict[str, Cell]]]) -> tuple[list[Row], list[CellProblem]]:
    """One new participant per row; the template's example row must be gone (R11)."""
    rows: list[Row] = []
    problems: list[CellProblem] = []
    for row, cells in sheet_rows:
        reader = _RowReader(row, cells)
        values: Row = {
            "row": row,
            "scheme": reader.read("A", _scheme_number),
            "first_name": reader.read("B", text, required=True),
            "initials": reader.read("C", lambda c: text(c, 20)) or "",
            "infix": reader.read("D", lambda c: text(c, 20)) or "",
            "last_name": reader.read("E", text, required=True),
            "gender": reader.read("F", _gender, required=True),
            "birth_date": reader.read("G", date_value, required=True),
            "bsn": reader.read("H", lambda c: text(c, 20), required=True),
            "date_in_service": reader.read("I", date_value, required=True),
            "salary": _decimal_text(reader.read("J", number, required=True)),
            "parttime_percentage": _decimal_text(reader.read("K", number)) or "100",
        }
        if values["bsn"] and normalize_bsn(values["bsn"]) == EXAMPLE_BSN:
            reader.fail("example_row", N_("this is the template's example row. Overwrite it with a new participant "
                                          "or delete it."))
        problems += reader.problems
        if not reader.problems:
            rows.append({k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()})
    return rows, problems


def new_participant_request(row: Row) -> NewParticipantRequest:
    """The individual registration a row stands for."""
    return NewParticipantRequest.model_validate({k: v for k, v in row.items() if k != "row"})


def check_new_participant_rows(
    session: Session, employer_id: int, rows: list[Row], on_row: OnRow | None = None
) -> list[CellProblem]:
    """Each row by the rules of an individual registration (R9), with R11's date range; each BSN once."""
    first_row: dict[str, int] = {}
    problems: list[CellProblem] = []
    for index, row in enumerate(rows):
        problems += _new_row_problems(session, employer_id, row, first_row)
        if on_row:
            on_row(index + 1)
    return problems


def _new_row_problems(session: Session, employer_id: int, row: Row, first_row: dict[str, int]) -> list[CellProblem]:
    line = row["row"]
    try:
        request = new_participant_request(row)
    except ValidationError as error:
        return [
            CellProblem("invalid", N_("this value is not valid."), NEW_FIELDS.get(str(e["loc"][0])), {}, line,
                        NEW_FIELDS.get(str(e["loc"][0])))
            for e in error.errors()
        ]
    _, problems = registration_rules.registration_problems(session, employer_id, request, collective=True)
    placed = _placed(problems, line, NEW_FIELDS)
    bsn = normalize_bsn(request.bsn)
    if bsn in first_row:
        placed.append(CellProblem("duplicate_bsn", N_("this BSN is already in row {first}."), "H",
                                  {"first": first_row[bsn]}, line, "H"))
    else:
        first_row[bsn] = line
    return placed
