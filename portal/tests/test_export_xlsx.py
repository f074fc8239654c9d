"""The streaming xlsx writer of the participant file: what a spreadsheet program needs to show it as intended."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.exports import xlsx

COLUMNS = [xlsx.Column("Name", 30), xlsx.Column("Born", 14, "date"), xlsx.Column("Salary", 16, "money"),
           xlsx.Column("Part-time", 12, "percent"), xlsx.Column("Left", 14, "date")]


def _written(rows: list[tuple]) -> bytes:
    buffer = io.BytesIO()
    xlsx.write(buffer, "Deelnemers 2026-11-27 with a much too long title", COLUMNS, rows)
    return buffer.getvalue()


def test_values_keep_their_types_and_formats() -> None:
    data = _written([("Assob, G., ter", date(1984, 5, 12), Decimal("52242.28"), Decimal("100.000"), None),
                     ("Vries, M., de", date(1971, 7, 30), Decimal("48000.00"), Decimal("88.889"), date(2024, 6, 30))])
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Deelnemers 2026-11-27 with a mu"  # Excel allows 31 characters
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["A"].width == 30
    assert [cell.value for cell in sheet[1]] == ["Name", "Born", "Salary", "Part-time", "Left"]
    assert all(cell.font.b for cell in sheet[1])
    name, born, salary, parttime, left = sheet[2]
    assert name.value == "Assob, G., ter" and name.data_type == "s"
    assert born.is_date and born.value.date() == date(1984, 5, 12) and born.number_format == "DD-MM-YYYY"
    assert salary.value == 52242.28 and salary.number_format == "#,##0.00"
    assert parttime.value == 100 and parttime.number_format == "0.000"
    assert left.value is None and sheet["E3"].value.date() == date(2024, 6, 30) and sheet["D3"].value == 88.889


def test_text_stays_text_even_when_it_looks_like_a_formula_or_holds_control_characters() -> None:
    data = _written([('=HYPERLINK("http://evil")', None, None, None, None), ("  spaced <&> \x07bell", None, None, None, None)])
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == '\'=HYPERLINK("http://evil")'
    assert sheet["A3"].value == "  spaced <&> bell"
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


@pytest.mark.parametrize("text", ["=1+1", "+31 6 1234", "-2+3", "@SUM(A1)", "\tcmd", "=cmd|' /C calc'!A0"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text: str) -> None:
    sheet = load_workbook(io.BytesIO(_written([(text, None, None, None, None)]))).worksheets[0]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "'" + text


@pytest.mark.parametrize("text", ["Jansen", "van 't Hek", "O'Brien", "El-Amrani", "5 = 5"])
def test_ordinary_text_is_left_as_typed(text: str) -> None:
    sheet = load_workbook(io.BytesIO(_written([(text, None, None, None, None)]))).worksheets[0]
    assert sheet["A2"].value == text
