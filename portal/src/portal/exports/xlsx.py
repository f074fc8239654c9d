"""A small streaming xlsx writer for one sheet of text, numbers and dates.

openpyxl spends ~0.1 ms per cell on cell objects and styles: 14 s for the 900,000 cells of a 100,000-participant
file (issue 7 asks ≤ 10 s). This writes the sheet's XML straight into the zip, row by row, with a fixed set of
styles; memory stays flat. Text goes in as inline strings, so a value starting with '=' is text, never a formula;
and text that a spreadsheet would read as a formula once copied or saved as CSV gets a leading apostrophe
(`neutralise`, also used by the collective workbooks).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

# Characters XML 1.0 does not allow (a name pasted with a control character must not break the file).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = date(1899, 12, 30)
# First characters with which Excel, LibreOffice and Google Sheets start a formula or a DDE call (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Style indexes into cellXfs of STYLES below.
BOLD, DATE, MONEY, PERCENT = 1, 2, 3, 4
FORMATS = {"date": DATE, "money": MONEY, "percent": PERCENT}
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="DD-MM-YYYY"/><numFmt numFmtId="165" formatCode="0.000"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
ROWS_PER_WRITE = 1000


@dataclass(frozen=True)
class Column:
    """A column of the sheet: its heading, its width, and how its values are shown ('text', 'date', 'money', 'percent')."""

    heading: str
    width: int
    kind: str = "text"


def neutralise(value: str) -> str:
    """Text a spreadsheet could take for a formula, prefixed with an apostrophe so that it stays text everywhere."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _text(value: str) -> str:
    return escape(neutralise(_INVALID_XML.sub("", value)))


def _cell(ref: str, value: object, style: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() else ""
        bold = f' s="{style}"' if style == BOLD else ""
        return f'<c r="{ref}" t="inlineStr"{bold}><is><t{space}>{_text(value)}</t></is></c>'
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style or DATE}"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        number = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return f'<c r="{ref}" s="{style}"><v>{number}</v></c>'
    return _cell(ref, str(value), style)


def _sheet_head(columns: Sequence[Column]) -> str:
    widths = "".join(f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>' for i, c in enumerate(columns, 1))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f"<cols>{widths}</cols><sheetData>"
    )


def write(target: IO[bytes], title: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> None:
    """Writes a workbook with one sheet: a bold heading row (frozen), then the rows, each value styled by its column."""
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    styles = [FORMATS.get(column.kind, 0) for column in columns]
    sheet_name = _text(_INVALID_XML.sub("", title)[:31]).replace('"', "&quot;")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(columns).encode())
            heading = "".join(_cell(f"{letter}1", c.heading, BOLD) for letter, c in zip(letters, columns, strict=True))
            sheet.write(f'<row r="1">{heading}</row>'.encode())
            pending: list[str] = []
            for number, row in enumerate(rows, start=2):
                cells = "".join(
                    _cell(f"{letter}{number}", value, style)
                    for letter, value, style in zip(letters, row, styles, strict=True)
                )
                pending.append(f'<row r="{number}">{cells}</row>')
                if len(pending) == ROWS_PER_WRITE:
                    sheet.write("".join(pending).encode())
                    pending.clear()
            sheet.write("".join(pending).encode())
            sheet.write(b"</sheetData></worksheet>")
