"""Uploaded workbooks beyond the crafted files of test_collective: endless rows, lying dimensions, wrong types.

Each file goes to a real portal process, whose memory is measured while it reads the file (the peak resident set
of the uvicorn process, from /proc): refused with a message in Dutch and English, in bounded time and memory,
and nothing applied.
"""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from tests.server import Portal, running_portal
from tests.test_collective import (
    codes,
    collective_list,
    download_salary,
    edited,
    fields,
    participant,
    sheet_rows,
    upload,
)

# The portal's own limit is 5 MB; the crafted files stay below it, so the portal has to read them.
UPLOAD_LIMIT = 5_000_000
SECONDS = 10
# What reading one file may add to the server's resident memory at its peak (measured: see SECURITY.md).
MEMORY_MB = 64
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal of this module's own, with the default upload limit."""
    with running_portal(tmp_path_factory.mktemp("workbooks")) as running:
        yield running


@pytest.fixture(scope="module")
def salary_download(portal: Portal) -> bytes:
    return download_salary(portal, date.today()).content


# --- the server's memory ----------------------------------------------------------------------------------


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@contextmanager
def peak_memory(pid: int) -> Iterator[dict[str, float]]:
    """The process's resident memory before and at its peak meanwhile, in MB.

    The kernel's own peak (VmHWM) is reset first through clear_refs; where that is not allowed, RSS is sampled.
    """
    measured: dict[str, float] = {}
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        sampler = None
    except OSError:
        samples: list[int] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.002):
                samples.append(_status_kb(pid, "VmRSS"))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    measured["before_mb"] = _status_kb(pid, "VmRSS") / 1024
    yield measured
    if sampler is None:
        measured["peak_mb"] = _status_kb(pid, "VmHWM") / 1024
    else:
        done.set()
        sampler.join()
        measured["peak_mb"] = max([*samples, _status_kb(pid, "VmRSS")]) / 1024
    measured["growth_mb"] = measured["peak_mb"] - measured["before_mb"]


def measured_upload(portal: Portal, data: bytes, kind: str = "salary", **options: object) -> tuple[httpx.Response, dict]:
    """The answer to an upload, with the seconds it took and the server's memory while it read the file."""
    assert len(data) < UPLOAD_LIMIT, len(data)
    portal.headers("demo.hr")  # logged in before the measurement
    started = time.monotonic()
    with peak_memory(portal.server.process.pid) as memory:
        response = upload(portal, kind, data, **options)
    memory["seconds"] = time.monotonic() - started
    print(f"{len(data) / 1e6:.2f} MB file: {memory}")  # shown with -s; the numbers in SECURITY.md come from here
    return response, memory


def _within_bounds(memory: dict) -> None:
    assert memory["seconds"] < SECONDS, memory
    assert memory["growth_mb"] < MEMORY_MB, memory


# --- crafted sheets -----------------------------------------------------------------------------------------


def _with_sheet(workbook: bytes, change: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == SHEET else content)
    return out.getvalue()


def _dimension(ref: bytes) -> Callable[[bytes], bytes]:
    return lambda sheet: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="' + ref + b'"/>', sheet)


def _a_million_empty_rows(sheet: bytes) -> bytes:
    """A million empty row elements below the data, and a dimension that covers them (read 27 s before the fix)."""
    last = max(int(n) for n in re.findall(rb'<row r="(\d+)"', sheet))
    empty = b"".join(b'<row r="%d"/>' % n for n in range(last + 1, last + 1_000_001))
    with_rows = sheet.replace(b"</sheetData>", empty + b"</sheetData>")
    return _dimension(b"A1:G%d" % (last + 1_000_000))(with_rows)


def _a_cell_in_excels_last_row(workbook: bytes) -> bytes:
    """One cell at the bottom of the sheet: a million empty rows in between (read 16 s before the fix)."""
    return edited(workbook, {"A1048576": "2001681"})


@pytest.mark.parametrize("craft", [
    lambda wb: _with_sheet(wb, _a_million_empty_rows),
    _a_cell_in_excels_last_row,
], ids=["a-million-empty-rows", "a-cell-in-row-1048576"])
def test_endless_empty_rows_are_refused_in_bounded_time_and_memory(
    portal: Portal, salary_download: bytes, today: date, craft: Callable[[bytes], bytes]
) -> None:
    number = sheet_rows(salary_download)[3][0]
    data = craft(edited(salary_download, {"F4": 71111.0}))
    before = len(collective_list(portal))
    dutch, memory = measured_upload(portal, data, effective=today)
    english, _ = measured_upload(portal, data, effective=today, language="en")
    assert dutch.status_code == english.status_code == 422, dutch.text
    assert codes(dutch) == codes(english) == ["too_many_rows"]
    assert "lege regels" in dutch.json()["errors"][0]["message"]
    assert "empty rows" in english.json()["errors"][0]["message"]
    _within_bounds(memory)
    assert len(collective_list(portal)) == before
    assert participant(portal, number)["fulltime_salary"] != "71111.00"


def test_a_declared_dimension_is_not_trusted(portal: Portal, salary_download: bytes, today: date) -> None:
    """Huge (every cell of a sheet): read as quickly as the rows it has. Too small: no row beyond it is skipped
    without a word, as openpyxl's read-only mode does when it believes the file (before the fix, 'A1:G4' made the
    portal accept the change of row 4 and drop the one of row 200)."""
    data = edited(salary_download, {"F4": 72222.0, "F200": 72222.0})
    huge, memory = measured_upload(portal, _with_sheet(data, _dimension(b"A1:XFD1048576")), effective=today, dry_run=True)
    small, _ = measured_upload(portal, _with_sheet(data, _dimension(b"A1:G4")), effective=today, dry_run=True)
    assert huge.status_code == small.status_code == 200, small.text
    assert huge.json()["row_count"] == small.json()["row_count"] == 2
    _within_bounds(memory)


def _salary_cells_of_every_wrong_type() -> dict[str, object]:
    return {
        "A2": "#N/A", "F2": 61000.0,  # an error value where the participant number goes
        "A3": True, "F3": 61000.0,
        "A4": datetime(2020, 1, 1), "F4": 61000.0,
        "F5": "61000",  # a number as text
        "F6": "01-05-2026",  # a date as text
        "F7": datetime(2026, 5, 1),
        "F8": True,
        "F9": "#DIV/0!",
        "G10": "80%",
        "G11": clock(12, 0),
        "G12": False,
        "G13": "#REF!",
        # Columns B to E are the current values, shown for reference and not read: wrong types there do no harm.
        "B14": "#N/A", "C14": "een", "D14": True, "E14": datetime(2020, 1, 1), "F14": 61000.0,
    }


def test_wrong_types_in_the_salary_columns_are_reported_cell_by_cell(portal: Portal, salary_download: bytes,
                                                                     today: date) -> None:
    data = edited(salary_download, _salary_cells_of_every_wrong_type())
    numbers = [row[0] for row in sheet_rows(salary_download)[1:14]]
    before = len(collective_list(portal))
    dutch, memory = measured_upload(portal, data, effective=today)
    english, _ = measured_upload(portal, data, effective=today, language="en")
    assert dutch.status_code == english.status_code == 422, dutch.text
    assert fields(dutch) == fields(english) == ["A2", "A3", "A4", "F5", "F6", "F7", "F8", "F9", "G10", "G11", "G12", "G13"]
    assert codes(dutch) == ["error_value", "invalid_text", "invalid_text", "not_a_number", "not_a_number",
                            "not_a_number", "not_a_number", "error_value", "not_a_number", "not_a_number",
                            "not_a_number", "error_value"]
    nl = {e["field"]: e["message"] for e in dutch.json()["errors"]}
    en = {e["field"]: e["message"] for e in english.json()["errors"]}
    assert nl["A2"] == "Rij 2, kolom A: deze cel bevat de foutwaarde #N/A. Typ de waarde zelf in."
    assert en["A2"] == "Row 2, column A: this cell contains the error #N/A. Type the value itself."
    assert "WAAR of ONWAAR" in nl["F8"] and "TRUE or FALSE" in en["F8"]
    assert "tekst" in nl["F5"] and "text" in en["F6"] and "datum" in nl["F7"] and "date" in en["G11"]
    _within_bounds(memory)
    assert len(collective_list(portal)) == before
    assert all(participant(portal, n)["fulltime_salary"] != "61000.00" for n in numbers)


def _template(portal: Portal) -> bytes:
    with portal.client() as client:
        return client.get("/api/collective/new-participants-template", headers=portal.headers("demo.hr")).content


def test_wrong_types_in_every_column_of_new_participants_are_reported_cell_by_cell(portal: Portal) -> None:
    workbook = load_workbook(io.BytesIO(_template(portal)))
    sheet = workbook.worksheets[0]
    wrong = ["een", True, "#N/A", date(2020, 1, 1), "#REF!", 1.0, "gisteren", True, 45000, "45000", "#VALUE!"]
    for column, value in enumerate(wrong, start=1):
        sheet.cell(row=2, column=column, value=value)
    sheet["I2"].number_format = "General"  # a plain number where the start date goes, not a date shown as one
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = len(collective_list(portal))
    dutch, memory = measured_upload(portal, buffer.getvalue(), kind="new")
    english, _ = measured_upload(portal, buffer.getvalue(), kind="new", language="en")
    assert dutch.status_code == english.status_code == 422, dutch.text
    assert fields(dutch) == fields(english) == [f"{letter}2" for letter in "ABCDEFGHIJK"]
    assert codes(dutch) == ["not_a_number", "invalid_text", "error_value", "invalid_text", "error_value",
                            "invalid_gender", "invalid_date", "invalid_text", "invalid_date", "not_a_number",
                            "error_value"]
    assert dutch.json()["errors"][0]["message"].startswith("Rij 2, kolom A: ")
    assert english.json()["errors"][4]["message"] == "Row 2, column E: this cell contains the error #REF!. Type the value itself."
    _within_bounds(memory)
    assert len(collective_list(portal)) == before
