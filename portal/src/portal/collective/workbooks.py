"""The workbooks of collective changes (§4.4): written with openpyxl's write-only mode, read in read-only mode.

Cells are read as stored (data_only=False): a formula is never evaluated or trusted, it is reported as a problem.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from portal.collective.problems import CellProblem
from portal.errors import N_
from portal.exports.xlsx import neutralise
from portal.i18n import translate

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A workbook is a zip file: its unpacked size is checked before openpyxl reads it (no zip bombs).
MAX_UNPACKED_BYTES = 100_000_000
MAX_TEXT = 100
# Empty rows are skipped, but only so many: a sheet of a million empty rows (or one cell at row 1,048,576) is read
# no further than this many rows past the row limit.
MAX_EMPTY_ROWS = 10_000


@dataclass(frozen=True)
class Column:
    """One column of a workbook: its letter, its heading (translated) and how wide it is shown."""

    letter: str
    heading: str
    width: int = 18


SALARY_COLUMNS = (
    Column("A", N_("Participant number"), 16),
    Column("B", N_("Name"), 30),
    Column("C", N_("Scheme"), 10),
    Column("D", N_("Current full-time salary"), 22),
    Column("E", N_("Current part-time percentage"), 24),
    Column("F", N_("New full-time salary"), 22),
    Column("G", N_("New part-time percentage"), 24),
)
NEW_PARTICIPANT_COLUMNS = (
    Column("A", N_("Scheme"), 10),
    Column("B", N_("First name"), 18),
    Column("C", N_("Initials"), 10),
    Column("D", N_("Infix"), 12),
    Column("E", N_("Last name"), 22),
    Column("F", N_("Gender (M/V)"), 14),
    Column("G", N_("Birth date"), 14),
    Column("H", N_("BSN"), 14),
    Column("I", N_("Start date"), 14),
    Column("J", N_("Full-time salary"), 18),
    Column("K", N_("Part-time percentage"), 20),
)
# Row 2 of the template: an example the user must overwrite or delete (R11). Its BSN is the well-known test number.
EXAMPLE_BSN = "123456782"

DATE_FORMAT = "DD-MM-YYYY"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.000"
HEADING_FONT = Font(bold=True)
INPUT_FILL = PatternFill("solid", fgColor="FFF4CC")
EXAMPLE_FONT = Font(italic=True, color="808080")


# --- writing ----------------------------------------------------------------------------------------


def _cell(sheet: Any, value: Any, number_format: str | None = None, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _new_sheet(workbook: Workbook, title: str, columns: tuple[Column, ...], language: str) -> Any:
    sheet = workbook.create_sheet(title[:31])
    for column in columns:
        sheet.column_dimensions[column.letter].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, translate(c.heading, language), font=HEADING_FONT) for c in columns])
    return sheet


def _instructions(workbook: Workbook, language: str, lines: Iterable[str]) -> None:
    sheet = workbook.create_sheet(translate(N_("Instructions"), language)[:31])
    sheet.column_dimensions["A"].width = 110
    for line in lines:
        sheet.append([line])


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class SalaryLine:
    """A participant's current values in the salary workbook."""

    number: str
    name: str
    scheme: int
    salary: Decimal
    parttime_percentage: Decimal


def salary_workbook(lines: Iterable[SalaryLine], effective_date: date, language: str) -> bytes:
    """The current participants with empty columns F and G for the new values (§4.4.1)."""
    workbook = Workbook(write_only=True)
    sheet = _new_sheet(workbook, translate(N_("Participants"), language), SALARY_COLUMNS, language)
    for line in lines:
        sheet.append([
            line.number,
            neutralise(line.name),
            line.scheme,
            _cell(sheet, float(line.salary), MONEY_FORMAT),
            _cell(sheet, float(line.parttime_percentage), PERCENT_FORMAT),
            _cell(sheet, None, MONEY_FORMAT, fill=INPUT_FILL),
            _cell(sheet, None, PERCENT_FORMAT, fill=INPUT_FILL),
        ])
    _instructions(workbook, language, [
        translate(N_("Collective change of salary and part-time percentage per {date}."), language,
                  date=effective_date.strftime("%d-%m-%Y")),
        translate(N_("Enter the new full-time salary in column F and the new part-time percentage in column G."), language),
        translate(N_("Leave a cell empty when the value does not change. Type numbers, not formulas."), language),
        translate(N_("Do not change the columns or the headings; then upload the file in step 3."), language),
    ])
    return _saved(workbook)


def new_participants_template(example_start: date, language: str) -> bytes:
    """The template for new participants; row 2 is an example to overwrite or delete (§4.4.2)."""
    workbook = Workbook(write_only=True)
    sheet = _new_sheet(workbook, translate(N_("New participants"), language), NEW_PARTICIPANT_COLUMNS, language)
    example = dict(font=EXAMPLE_FONT)
    sheet.append([
        _cell(sheet, 1, **example),
        _cell(sheet, "Jan", **example),
        _cell(sheet, "J.", **example),
        _cell(sheet, "van", **example),
        _cell(sheet, "Voorbeeld", **example),
        _cell(sheet, "M", **example),
        _cell(sheet, date(1990, 5, 1), DATE_FORMAT, **example),
        _cell(sheet, EXAMPLE_BSN, **example),
        _cell(sheet, example_start, DATE_FORMAT, **example),
        _cell(sheet, 42000.00, MONEY_FORMAT, **example),
        _cell(sheet, 100.0, PERCENT_FORMAT, **example),
    ])
    _instructions(workbook, language, [
        translate(N_("Row 2 is an example: overwrite it with a new participant or delete it."), language),
        translate(N_("One new participant per row. The start dates may differ per row: from three months back "
                     "to three months ahead."), language),
        translate(N_("Dates as dates (e.g. 01-05-2026); the BSN must pass the eleven test; type numbers, not formulas."),
                  language),
        translate(N_("Gender: M (male) or V (female). Scheme: the number of the pension scheme."), language),
    ])
    return _saved(workbook)


# --- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A cell as stored in the file: its value and openpyxl's data type ('f' for a formula)."""

    value: Any
    data_type: str

    @property
    def is_formula(self) -> bool:
        """Whether the cell holds a formula (never evaluated: the file's cached result is not trusted either)."""
        return self.data_type == "f" or isinstance(self.value, ArrayFormula | DataTableFormula)

    @property
    def is_empty(self) -> bool:
        """No value, or only spaces."""
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass
class Sheet:
    """The data rows of an uploaded workbook (row number → cells per column letter), or why it cannot be read."""

    rows: list[tuple[int, dict[str, Cell]]]
    problems: list[CellProblem]


def _file_problem(code: str, message: str, **params: Any) -> Sheet:
    return Sheet([], [CellProblem(code, message, "file", params)])


def _unpacked_size_ok(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(member.file_size for member in archive.infolist()) <= MAX_UNPACKED_BYTES


def _has_macros(data: bytes) -> bool:
    """A VBA project or a macro-enabled content type: an .xlsm (or .xlsb) renamed to .xlsx, or a crafted file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = {name.lower() for name in archive.namelist()}
        if any(name.endswith("vbaproject.bin") for name in names):
            return True
        if "[content_types].xml" in names:
            info = next(i for i in archive.infolist() if i.filename.lower() == "[content_types].xml")
            with archive.open(info) as types:
                return b"macroenabled" in types.read(1_000_000).lower()
    return False


def _headings_match(cells: dict[str, Cell], columns: tuple[Column, ...]) -> list[CellProblem]:
    problems: list[CellProblem] = []
    for column in columns:
        value = cells[column.letter].value
        found = str(value).strip().casefold() if value is not None else ""
        accepted = {translate(column.heading, language).casefold() for language in ("nl", "en")}
        if found not in accepted:
            problems.append(CellProblem(
                "wrong_columns",
                N_("expected the heading '{heading}'. Download a new workbook and keep its columns."),
                column.letter,
                {"heading": column.heading},
                1,
                column.letter,
            ))
    return problems


def read_sheet(data: bytes, columns: tuple[Column, ...], max_rows: int) -> Sheet:
    """The first sheet's rows below the headings, skipping empty rows; every file-level problem otherwise."""
    if not data:
        return _file_problem("empty_file", N_("The file is empty. Upload the filled-in workbook (.xlsx)."))
    not_a_workbook = N_("This file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return _file_problem("not_a_workbook", not_a_workbook)
    try:
        if not _unpacked_size_ok(data):
            return _file_problem("file_too_large", N_("The workbook is too large."))
        if _has_macros(data):
            return _file_problem("macros_not_accepted", N_(
                "Workbooks with macros (.xlsm) are not accepted. Save the file as an Excel workbook (.xlsx) and upload it again."
            ))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # whatever openpyxl or zipfile raise, the answer is the same
        return _file_problem("not_a_workbook", not_a_workbook)
    try:
        return _rows(workbook, columns, max_rows)
    except Exception:  # a damaged sheet inside a valid zip
        return _file_problem("not_a_workbook", not_a_workbook)
    finally:
        workbook.close()


def _rows(workbook: Any, columns: tuple[Column, ...], max_rows: int) -> Sheet:
    if not workbook.worksheets:
        return _file_problem("empty_file", N_("The workbook is empty. Download a new workbook and fill it in."))
    sheet = workbook.worksheets[0]
    # The dimension the file declares is not trusted: rows beyond one too small would be skipped without a word.
    sheet.reset_dimensions()
    letters = [c.letter for c in columns]
    last_row = 1 + max_rows + MAX_EMPTY_ROWS
    rows: list[tuple[int, dict[str, Cell]]] = []
    saw_headings = False
    for index, raw in enumerate(sheet.iter_rows(max_col=len(columns)), start=1):
        if index > last_row:
            return _file_problem("too_many_rows", N_(
                "The workbook has more than {rows} rows, empty rows included. Delete the empty rows below the data "
                "(or download a new workbook) and upload it again."), rows=last_row)
        if index > 1 and all(getattr(c, "value", None) is None for c in raw):
            continue  # the common empty row, without building its cells
        padded = list(raw) + [None] * (len(columns) - len(raw))
        cells = {
            letter: Cell(getattr(c, "value", None), getattr(c, "data_type", "n") or "n")
            for letter, c in zip(letters, padded, strict=True)
        }
        if index == 1:
            if all(cell.is_empty for cell in cells.values()):
                break
            problems = _headings_match(cells, columns)
            if problems:
                return Sheet([], problems)
            saw_headings = True
            continue
        if all(cell.is_empty for cell in cells.values()):
            continue
        if len(rows) == max_rows:
            return _file_problem("too_many_rows", N_("The workbook has more than {max_rows} rows."), max_rows=max_rows)
        rows.append((index, cells))
    if not saw_headings:
        return _file_problem("empty_file", N_("The workbook is empty. Download a new workbook and fill it in."))
    return Sheet(rows, [])


# --- cell values ------------------------------------------------------------------------------------


class CellValueError(ValueError):
    """A cell whose value cannot be used; carries the message to show for that cell."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.message, self.params = code, message, params


def _no_formula(cell: Cell) -> None:
    if cell.is_formula:
        raise CellValueError("formula", N_("this cell contains a formula. Type the value itself."))
    if cell.data_type == "e":  # #N/A, #REF!, #DIV/0!: not a value, whatever the column
        raise CellValueError("error_value", N_("this cell contains the error {value}. Type the value itself."),
                             value=str(cell.value)[:20])


def number(cell: Cell) -> Decimal | None:
    """A number cell; empty is None. Text, dates and true/false are refused, even when they look like numbers."""
    _no_formula(cell)
    if cell.is_empty:
        return None
    value = cell.value
    if isinstance(value, bool):
        raise CellValueError("not_a_number", N_("enter a number; this cell contains TRUE or FALSE."))
    if not isinstance(value, int | float | Decimal):
        if isinstance(value, datetime | date | time | timedelta):
            raise CellValueError("not_a_number", N_("enter a number; this cell contains a date."))
        raise CellValueError("not_a_number", N_("enter a number; this cell contains text."))
    try:
        parsed = Decimal(str(value))
    except InvalidOperation as exc:
        raise CellValueError("not_a_number", N_("enter a number.")) from exc
    if not parsed.is_finite():
        raise CellValueError("not_a_number", N_("enter a number."))
    return parsed


def text(cell: Cell, max_length: int = MAX_TEXT) -> str:
    """A text cell (a number is taken as its digits, as for a participant number or BSN); empty is ''."""
    _no_formula(cell)
    if cell.is_empty:
        return ""
    value = cell.value
    if isinstance(value, bool | datetime | date | time | timedelta):
        raise CellValueError("invalid_text", N_("this value is not valid here."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    if len(result) > max_length:
        raise CellValueError("too_long", N_("this text is too long (at most {max_length} characters)."), max_length=max_length)
    return result


DATE_TEXT_FORMATS = ("%d-%m-%Y", "%Y-%m-%d")


def date_value(cell: Cell) -> date | None:
    """A date cell, or text as dd-mm-yyyy or yyyy-mm-dd (unambiguous in both languages); empty is None."""
    _no_formula(cell)
    if cell.is_empty:
        return None
    value = cell.value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for pattern in DATE_TEXT_FORMATS:
            try:
                return datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
    raise CellValueError("invalid_date", N_("enter a date, such as 01-05-2026."))


def letter(index: int) -> str:
    """The column letter of a 1-based column index."""
    return get_column_letter(index)
