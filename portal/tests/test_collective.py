"""Collective changes (§4.4) and new participants (§4.3): workbooks down and up, every bad file, the lock, atomicity.

Each test reads what a user would see: the workbook's cells, the API's errors in nl/en with row and column,
the status in 'submitted changes collective', and the participants' values afterwards.
"""

from __future__ import annotations

import io
import sqlite3
import struct
import time
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from portal.dates import add_months
from tests.server import Portal, running_portal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Slow enough to watch the status move and to act while a change is processing; small enough for a quick suite.
ROW_DELAY = "0.25"
UPLOAD_LIMIT = 300_000


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal of this module's own: its collective changes lock the employer's individual changes meanwhile."""
    env = {"PORTAL_COLLECTIVE_ROW_DELAY_SECONDS": ROW_DELAY, "PORTAL_COLLECTIVE_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT)}
    with running_portal(tmp_path_factory.mktemp("collective"), extra_env=env) as running:
        yield running


def valid_bsn(seed: int) -> str:
    """A nine-digit number passing the elfproef, different for each seed."""
    base = 700_000_00 + seed * 7
    while True:
        digits = [int(d) for d in f"{base:08d}"]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return f"{base:08d}{check}"
        base += 1


# --- helpers ----------------------------------------------------------------------------------------


def download_salary(portal: Portal, effective: date, user: str = "demo.hr", language: str | None = None) -> httpx.Response:
    with portal.client(language) as client:
        return client.get("/api/collective/salary-workbook", params={"effective_date": effective.isoformat()},
                          headers=portal.headers(user))


def sheet_rows(data: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data))
    return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def filled(data: bytes, values: dict[str, tuple[object, object]]) -> bytes:
    """The workbook with columns F and G filled for the given participant numbers (as a user does in Excel)."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in values:
            row[5].value, row[6].value = values[row[0].value]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def edited(data: bytes, cells: dict[str, object], sheet_index: int = 0) -> bytes:
    """The workbook with some cells set ('F3': value)."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[sheet_index]
    for ref, value in cells.items():
        sheet[ref] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(portal: Portal, kind: str, data: bytes, *, effective: date | None = None, user: str = "demo.hr",
           language: str | None = None, key: str | None = None, dry_run: bool = False,
           filename: str = "upload.xlsx") -> httpx.Response:
    headers = portal.headers(user)
    if key:
        headers["Idempotency-Key"] = key
    form = {"effective_date": effective.isoformat()} if effective else {}
    path = "/api/collective/salary-changes" if kind == "salary" else "/api/collective/new-participants"
    with portal.client(language) as client:
        return client.post(path, data=form, files={"file": (filename, data, XLSX)}, headers=headers,
                           params={"dry_run": "true"} if dry_run else None)


def status(portal: Portal, change_id: int, user: str = "demo.hr", language: str | None = None) -> dict:
    with portal.client(language) as client:
        response = client.get(f"/api/collective/{change_id}", headers=portal.headers(user))
    assert response.status_code == 200, response.text
    return response.json()


def wait_done(portal: Portal, change_id: int, timeout: float = 60, language: str | None = None) -> tuple[dict, list[tuple[str, int]]]:
    """The final status, and every (status, progress) seen on the way."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = status(portal, change_id, language=language)
        if not seen or seen[-1] != (current["status"], current["progress"]):
            seen.append((current["status"], current["progress"]))
        if current["status"] in ("processed", "failed"):
            return current, seen
        time.sleep(0.1)
    raise AssertionError(f"change {change_id} still {seen[-1]}")


def participant(portal: Portal, number: str) -> dict:
    with portal.client() as client:
        return client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()


def collective_list(portal: Portal) -> list[dict]:
    with portal.client() as client:
        return client.get("/api/changes/collective", headers=portal.headers("demo.hr")).json()


def codes(response: httpx.Response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def active_numbers(data: bytes, count: int, skip: int = 0) -> list[str]:
    """Generated participants from the workbook (not the contract's six, nor the §4.5 example)."""
    numbers = [row[0] for row in sheet_rows(data)[1:] if row[0] > "2001690"]
    return numbers[skip : skip + count]


# --- the salary workbook: round trip ------------------------------------------------------------------


def test_a_name_that_would_be_a_formula_is_neutralised_in_the_salary_workbook(today: date) -> None:
    """A participant registered as '=HYPERLINK(...)' must not become a live formula in the HR user's spreadsheet."""
    from portal.collective.workbooks import SalaryLine, salary_workbook

    lines = [SalaryLine("2009999", '=HYPERLINK("http://evil","x")', 1, Decimal(50000), Decimal(100)),
             SalaryLine("2009998", "@SUM(A1)", 1, Decimal(50000), Decimal(100)),
             SalaryLine("2009997", "Jansen, P.", 1, Decimal(50000), Decimal(100))]
    sheet = load_workbook(io.BytesIO(salary_workbook(lines, today, "nl"))).worksheets[0]
    names = [(cell.value, cell.data_type) for cell in sheet["B"][1:]]
    assert names == [("'=HYPERLINK(\"http://evil\",\"x\")", "s"), ("'@SUM(A1)", "s"), ("Jansen, P.", "s")]


def test_salary_workbook_round_trip(portal: Portal, today: date) -> None:
    download = download_salary(portal, today)
    assert download.status_code == 200
    assert download.headers["content-type"] == XLSX
    assert "attachment" in download.headers["content-disposition"]
    rows = sheet_rows(download.content)
    assert rows[0] == ("Deelnamenummer", "Naam", "Regeling", "Huidig voltijd salaris", "Huidig parttimepercentage",
                       "Nieuw voltijd salaris", "Nieuw parttimepercentage")
    listed = {row[0]: row for row in rows[1:]}
    assert listed["2001681"][1:5] == ("Assob, G., ter", 1, 52242.28, 100)
    assert listed["2001681"][5:] == (None, None)
    assert "2001684" not in listed  # a slaper cannot be changed (R5)

    numbers = active_numbers(download.content, 10)
    new_values = {n: (Decimal(60000 + i * 1000), Decimal(80) if i % 2 else None) for i, n in enumerate(numbers)}
    data = filled(download.content, {n: (float(s), None if p is None else float(p)) for n, (s, p) in new_values.items()})
    before = len(collective_list(portal))

    accepted = upload(portal, "salary", data, effective=today, filename="salarissen.xlsx")
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["status"] in ("received", "processing") and body["row_count"] == 10
    final, seen = wait_done(portal, body["id"])

    assert final["status"] == "processed", final
    assert final["progress"] == 10 and final["problems"] == []
    assert [s for s, _ in seen][-1] == "processed" and any(s == "processing" for s, _ in seen)
    assert sorted(r["participant"] for r in final["rows"]) == sorted(numbers)
    listed_changes = collective_list(portal)
    assert len(listed_changes) == before + 1
    assert listed_changes[0]["id"] == body["id"] and listed_changes[0]["status"] == "processed"
    assert listed_changes[0]["row_count"] == 10 and listed_changes[0]["filename"] == "salarissen.xlsx"
    for number, (salary, parttime) in new_values.items():
        detail = participant(portal, number)
        assert Decimal(detail["fulltime_salary"]) == salary
        if parttime is not None:
            assert Decimal(detail["parttime_percentage"]) == parttime
        assert detail["changes"][0]["channel"] == "collective"
    with portal.client() as client:
        individual = client.get("/api/changes/individual", headers=portal.headers("demo.hr")).json()
    assert {c["participant"] for c in individual if c["channel"] == "collective"} >= set(numbers)


def test_the_workbook_is_in_english_for_an_english_user(portal: Portal, today: date) -> None:
    rows = sheet_rows(download_salary(portal, today, language="en").content)
    assert rows[0][0] == "Participant number" and rows[0][5] == "New full-time salary"


def test_a_workbook_more_than_three_months_ahead_is_refused(portal: Portal, today: date) -> None:
    too_late = add_months(today, 3) + timedelta(days=1)
    response = download_salary(portal, too_late, language="en")
    assert response.status_code == 422
    assert codes(response) == ["effective_date_too_late"]
    assert "three months" in response.json()["errors"][0]["message"]


# --- bad files: every problem, nothing stored ------------------------------------------------------------


@pytest.fixture(scope="module")
def salary_download(portal: Portal) -> bytes:
    return download_salary(portal, date.today()).content


def _refused(portal: Portal, response: httpx.Response, before: int) -> None:
    assert response.status_code == 422, response.text
    assert len(collective_list(portal)) == before


def test_text_and_formulas_in_salary_cells_are_reported_cell_by_cell(portal: Portal, salary_download: bytes, today: date) -> None:
    before = len(collective_list(portal))
    data = edited(salary_download, {"F3": "vijftigduizend", "G5": "80%", "F7": "=D7*1.05", "F8": 61000.0, "G9": 150})
    dutch = upload(portal, "salary", data, effective=today)
    english = upload(portal, "salary", data, effective=today, language="en")
    _refused(portal, dutch, before)
    assert fields(dutch) == ["F3", "G5", "F7", "G9"]  # F8 is fine; every bad cell is listed, in row order
    assert codes(dutch) == ["not_a_number", "not_a_number", "formula", "invalid_parttime_percentage"]
    messages = [e["message"] for e in dutch.json()["errors"]]
    assert messages[0].startswith("Rij 3, kolom F: ") and "tekst" in messages[0]
    assert messages[2].startswith("Rij 7, kolom F: ") and "formule" in messages[2]
    assert english.json()["errors"][0]["message"].startswith("Row 3, column F: ")
    assert "formula" in english.json()["errors"][2]["message"]
    assert Decimal(participant(portal, sheet_rows(salary_download)[7][0])["fulltime_salary"]) != Decimal(61000)


def test_wrong_columns_are_refused(portal: Portal, salary_download: bytes, today: date) -> None:
    before = len(collective_list(portal))
    response = upload(portal, "salary", edited(salary_download, {"C1": "Salaris", "F2": 50000.0}), effective=today)
    _refused(portal, response, before)
    assert codes(response) == ["wrong_columns"] and fields(response) == ["C1"]
    assert "Regeling" in response.json()["errors"][0]["message"]


def test_unknown_duplicate_and_dormant_participants_are_reported(portal: Portal, salary_download: bytes, today: date) -> None:
    before = len(collective_list(portal))
    extra = {"A300": "9999999", "F300": 50000.0, "A301": "2001683", "F301": 50000.0, "A302": "2001684", "F302": 50000.0,
             "A303": "2001683", "G303": 90}
    response = upload(portal, "salary", edited(salary_download, extra), effective=today, language="en")
    _refused(portal, response, before)
    assert codes(response) == ["unknown_participant", "participant_dormant", "duplicate_participant"]
    assert fields(response) == ["A300", "A302", "A303"]
    assert "Row 302, column A" in response.json()["errors"][1]["message"]


def test_an_effective_date_past_the_limit_is_refused(portal: Portal, salary_download: bytes, today: date) -> None:
    before = len(collective_list(portal))
    data = edited(salary_download, {"F2": 50000.0})
    response = upload(portal, "salary", data, effective=add_months(today, 4))
    _refused(portal, response, before)
    assert codes(response) == ["effective_date_too_late"]


def test_a_workbook_without_new_values_changes_nothing(portal: Portal, salary_download: bytes, today: date) -> None:
    before = len(collective_list(portal))
    response = upload(portal, "salary", salary_download, effective=today)
    _refused(portal, response, before)
    assert codes(response) == ["no_rows"]


def _empty_workbook() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("content,code", [
    (b"", "empty_file"),
    (_empty_workbook(), "empty_file"),
    (b"Deelnemersnummer;Naam\n2001681;Assob\n", "not_a_workbook"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "not_a_workbook"),
    (b"PK\x03\x04 not really a zip", "not_a_workbook"),
], ids=["zero-bytes", "empty-workbook", "csv", "pdf", "broken-zip"])
def test_files_that_are_not_filled_in_workbooks_are_refused(portal: Portal, today: date, content: bytes, code: str) -> None:
    before = len(collective_list(portal))
    dutch = upload(portal, "salary", content, effective=today)
    english = upload(portal, "salary", content, effective=today, language="en")
    _refused(portal, dutch, before)
    assert codes(dutch) == codes(english) == [code]
    assert dutch.json()["errors"][0]["message"] != english.json()["errors"][0]["message"]


def _rezipped(workbook: bytes, extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """The workbook's zip with members added or replaced, as a crafted file would be."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info.filename)))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _lying_about_its_size(workbook: bytes) -> bytes:
    """The sheet padded to 60 MB whose zip headers claim 1,000 bytes: a size check on the directory alone is fooled."""
    sheet = "xl/worksheets/sheet1.xml"
    original = zipfile.ZipFile(io.BytesIO(workbook)).read(sheet)
    crafted = bytearray(_rezipped(workbook, replace={sheet: original + b" " * 60_000_000}))
    name = sheet.encode()
    for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := crafted.find(signature, start)) != -1:
            if crafted[start + name_offset : start + name_offset + len(name)] == name:
                crafted[start + size_offset : start + size_offset + 4] = struct.pack("<I", 1000)
            start += 4
    return bytes(crafted)


@pytest.mark.parametrize("craft,code", [
    (lambda wb: _rezipped(wb, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 a VBA project"}), "macros_not_accepted"),
    (lambda wb: _rezipped(wb, replace={"[Content_Types].xml": zipfile.ZipFile(io.BytesIO(wb)).read("[Content_Types].xml")
                                       .replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")}), "macros_not_accepted"),
    (lambda wb: _rezipped(wb, extra={"xl/media/bomb.bin": b"\0" * 150_000_000}), "file_too_large"),
    (_lying_about_its_size, "not_a_workbook"),
], ids=["vba-project", "macro-enabled-type", "zip-bomb", "lying-zip-directory"])
def test_crafted_workbooks_are_refused_quickly_and_change_nothing(
    portal: Portal, salary_download: bytes, today: date, craft: Any, code: str
) -> None:
    number = sheet_rows(salary_download)[30][0]
    data = craft(filled(salary_download, {number: (71000.0, None)}))
    assert len(data) < UPLOAD_LIMIT
    before = len(collective_list(portal))
    started = time.monotonic()
    dutch = upload(portal, "salary", data, effective=today)
    elapsed = time.monotonic() - started
    english = upload(portal, "salary", data, effective=today, language="en")
    _refused(portal, dutch, before)
    assert codes(dutch) == codes(english) == [code]
    assert dutch.json()["errors"][0]["message"] != english.json()["errors"][0]["message"]
    assert elapsed < 10, f"took {elapsed:.1f} s"
    with portal.client() as client:
        detail = client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()
    assert detail["fulltime_salary"] != "71000.00"


def test_a_file_above_the_limit_is_refused(portal: Portal, today: date) -> None:
    response = upload(portal, "salary", b"PK" + b"\0" * (UPLOAD_LIMIT + 10), effective=today)
    assert response.status_code == 413
    assert codes(response) == ["file_too_large"]


def test_finance_may_not_download_or_upload(portal: Portal, salary_download: bytes, today: date) -> None:
    assert download_salary(portal, today, user="demo.finance").status_code == 403
    assert upload(portal, "salary", salary_download, effective=today, user="demo.finance").status_code == 403
    with portal.client() as client:
        template = client.get("/api/collective/new-participants-template", headers=portal.headers("demo.finance"))
    assert template.status_code == 403


def test_a_dry_run_checks_without_storing(portal: Portal, salary_download: bytes, today: date) -> None:
    before = len(collective_list(portal))
    number = sheet_rows(salary_download)[20][0]
    response = upload(portal, "salary", filled(salary_download, {number: (70000.0, None)}), effective=today, dry_run=True)
    assert response.status_code == 200 and response.json()["status"] == "dry_run" and response.json()["row_count"] == 1
    assert len(collective_list(portal)) == before


# --- the lock (R10), idempotency and atomicity ------------------------------------------------------------


def test_individual_changes_wait_while_a_collective_change_processes(portal: Portal, today: date) -> None:
    download = download_salary(portal, today).content
    numbers = active_numbers(download, 10, skip=20)
    data = filled(download, {n: (55555.0, None) for n in numbers})
    accepted = upload(portal, "salary", data, effective=today, key="lock-test")
    assert accepted.status_code == 202
    change_id = accepted.json()["id"]
    replayed = upload(portal, "salary", data, effective=today, key="lock-test")
    assert replayed.json()["id"] == change_id and replayed.headers["Idempotent-Replayed"] == "true"

    individual_body = {"effective_date": today.isoformat(), "salary": "50000"}
    with portal.client() as client:
        locked = client.post("/api/participants/2001683/salary-change", json=individual_body, headers=portal.headers("demo.hr"))
        detail = client.get("/api/participants/2001683", headers=portal.headers("demo.hr")).json()
    second = upload(portal, "salary", data, effective=today)
    new_participant = register(portal, new_participant_body(today, 90))
    assert locked.status_code == 409 and codes(locked) == ["collective_change_processing"]
    assert detail["change_blocked"]["code"] == "collective_change_processing"
    assert second.status_code == 409
    assert new_participant.status_code == 409

    final, _ = wait_done(portal, change_id)
    assert final["status"] == "processed"
    with portal.client() as client:
        after = client.post("/api/participants/2001683/salary-change", json=individual_body, headers=portal.headers("demo.hr"))
    assert after.status_code == 201, after.text


def test_processing_applies_all_rows_or_none(portal: Portal, today: date) -> None:
    download = download_salary(portal, today).content
    numbers = active_numbers(download, 10, skip=40)
    before = {n: participant(portal, n)["fulltime_salary"] for n in numbers}
    accepted = upload(portal, "salary", filled(download, {n: (77777.0, None) for n in numbers}), effective=today)
    assert accepted.status_code == 202
    # While it is processing, the last row's participant leaves service outside the portal.
    with sqlite3.connect(portal.database) as db:
        db.execute("UPDATE participant SET status = 'dormant' WHERE number = ?", (numbers[-1],))
    final, _ = wait_done(portal, accepted.json()["id"], language="en")

    assert final["status"] == "failed"
    assert final["rows"] == []
    assert [p["code"] for p in final["problems"]] == ["participant_dormant"]
    assert final["problems"][0]["message"].startswith("Row ") and ", column A: " in final["problems"][0]["message"]
    assert {n: participant(portal, n)["fulltime_salary"] for n in numbers} == before


def test_one_bad_row_stops_the_whole_file(portal: Portal, today: date) -> None:
    download = download_salary(portal, today).content
    numbers = active_numbers(download, 10, skip=60)
    values = {n: (66666.0, None) for n in numbers[:9]} | {numbers[9]: (-5.0, None)}
    response = upload(portal, "salary", filled(download, values), effective=today)
    assert response.status_code == 422 and codes(response) == ["invalid_salary"]
    assert all(participant(portal, n)["fulltime_salary"] != "66666.00" for n in numbers)


def test_a_restart_picks_up_pending_work(tmp_path: Path, today: date) -> None:
    slow = {"PORTAL_COLLECTIVE_ROW_DELAY_SECONDS": "2"}
    with running_portal(tmp_path, extra_env=slow) as first:
        download = download_salary(first, today).content
        numbers = active_numbers(download, 5)
        accepted = upload(first, "salary", filled(download, {n: (88888.0, None) for n in numbers}), effective=today)
        assert accepted.status_code == 202
        change_id = accepted.json()["id"]
        while status(first, change_id)["status"] != "processing":
            time.sleep(0.1)
    with running_portal(tmp_path) as second:
        second.used_steps = first.used_steps  # a TOTP code counts once, across restarts too
        final, _ = wait_done(second, change_id)
        assert final["status"] == "processed"
        assert all(participant(second, n)["fulltime_salary"] == "88888.00" for n in numbers)


def test_a_portal_killed_while_applying_leaves_none_applied_then_applies_all_once(tmp_path: Path, today: date) -> None:
    """SIGKILL in the middle of applying the rows: nothing of it stays; the restart applies every row once;
    the same upload sent again (the user retrying) is answered with the same change."""
    slow = {"PORTAL_COLLECTIVE_APPLY_ROW_DELAY_SECONDS": "0.5"}
    with running_portal(tmp_path, extra_env=slow) as portal:
        download = download_salary(portal, today).content
        numbers = active_numbers(download, 6)
        data = filled(download, {n: (77777.0, None) for n in numbers})
        accepted = upload(portal, "salary", data, effective=today, key="killed-while-applying")
        assert accepted.status_code == 202
        change_id = accepted.json()["id"]
        deadline = time.monotonic() + 60
        while (current := status(portal, change_id))["progress"] < len(numbers) or current["status"] != "processing":
            assert time.monotonic() < deadline and current["status"] != "failed", current
            time.sleep(0.05)
        time.sleep(1.3)  # checked; two or three rows applied in the open transaction
        portal.server.process.kill()
        portal.server.process.wait()

        def applied() -> tuple[int, int]:
            with sqlite3.connect(portal.database) as db:
                mutations = db.execute("SELECT count(*) FROM mutation WHERE json_extract(payload, '$.collective_change') = ?",
                                       (change_id,)).fetchone()[0]
                changed = db.execute(f"SELECT count(*) FROM participant WHERE fulltime_salary = 77777 AND number IN "  # noqa: S608
                                     f"({','.join('?' * len(numbers))})", numbers).fetchone()[0]
            return mutations, changed

        assert applied() == (0, 0)
        portal.server.start()
        final, _ = wait_done(portal, change_id)
        assert final["status"] == "processed"
        assert applied() == (len(numbers), len(numbers))
        before = len(collective_list(portal))
        again = upload(portal, "salary", data, effective=today, key="killed-while-applying")
        assert again.json()["id"] == change_id and again.headers["Idempotent-Replayed"] == "true"
        assert len(collective_list(portal)) == before and applied() == (len(numbers), len(numbers))


# --- new participants: the template (§4.4.2) -------------------------------------------------------------


def template(portal: Portal, language: str | None = None) -> bytes:
    with portal.client(language) as client:
        response = client.get("/api/collective/new-participants-template", headers=portal.headers("demo.hr"))
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    return response.content


def new_row(scheme: int, first: str, last: str, bsn: str, start: date, salary: float = 45000.0) -> list:
    return [scheme, first, "", "", last, "V", date(1991, 3, 4), bsn, start, salary, 100.0]


def with_rows(data: bytes, rows: dict[int, list]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for index, values in rows.items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=index, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_untouched_example_row_is_refused(portal: Portal) -> None:
    data = template(portal)
    rows = sheet_rows(data)
    assert rows[0][:3] == ("Regeling", "Voornaam", "Voorletters")
    assert rows[1][4] == "Voorbeeld"
    response = upload(portal, "new", data)
    assert response.status_code == 422
    assert codes(response) == ["example_row"]
    assert response.json()["errors"][0]["message"].startswith("Rij 2: ")


def test_new_participants_from_the_template(portal: Portal, today: date) -> None:
    three_back, three_ahead = add_months(today, -3), add_months(today, 3)
    data = with_rows(template(portal), {
        2: new_row(1, "Noor", "Collectief", valid_bsn(1), three_back),
        3: new_row(2, "Lieke", "Collectief", valid_bsn(2), three_ahead),
        4: new_row(1, "Saskia", "Collectief", valid_bsn(3), today),
    })
    accepted = upload(portal, "new", data, filename="nieuwe-deelnemers.xlsx")
    assert accepted.status_code == 202, accepted.text
    final, _ = wait_done(portal, accepted.json()["id"])
    assert final["status"] == "processed" and final["row_count"] == 3
    assert [r["type"] for r in final["rows"]] == ["new_participation"] * 3
    with portal.client() as client:
        found = client.get("/api/participants", params={"q": "Collectief"}, headers=portal.headers("demo.hr")).json()
    assert sorted(p["name"] for p in found["items"]) == ["Collectief, L.", "Collectief, N.", "Collectief, S."]
    assert {p["scheme"] for p in found["items"]} == {1, 2}


def test_template_rows_are_checked_cell_by_cell(portal: Portal, today: date) -> None:
    before = len(collective_list(portal))
    data = with_rows(template(portal), {
        2: new_row(1, "Anouk", "Fout", valid_bsn(11), add_months(today, -4)),
        3: new_row(1, "Femke", "Fout", valid_bsn(12), add_months(today, 4)),
        4: new_row(1, "Iris", "Fout", "123456789", today),
        5: new_row(3, "Ilse", "Fout", valid_bsn(13), today, salary=0.0),
        6: new_row(1, "Joke", "Fout", valid_bsn(11), today),
        7: [1, "Tessa", "", "", "", "Q", "gisteren", valid_bsn(14), today, "veel", 100.0],
    })
    response = upload(portal, "new", data, language="en")
    _refused(portal, response, before)
    assert fields(response) == ["I2", "I3", "H4", "A5", "J5", "H6", "E7", "F7", "G7", "J7"]
    assert codes(response) == ["start_date_too_early", "start_date_too_late", "invalid_bsn", "unknown_scheme",
                               "invalid_salary", "duplicate_bsn", "required", "invalid_gender", "invalid_date",
                               "not_a_number"]
    assert response.json()["errors"][0]["message"].startswith("Row 2, column I: The start date may be at most three months back")


# --- one new participant (§4.3) ---------------------------------------------------------------------------


def new_participant_body(today: date, seed: int, **extra: object) -> dict:
    return {
        "scheme": 1, "first_name": "Fleur", "last_name": "Nieuwkomer", "gender": "V", "birth_date": "1995-06-15",
        "bsn": valid_bsn(seed), "date_in_service": add_months(today, 1).isoformat(), "salary": "48000",
        "parttime_percentage": "80", **extra,
    }


def register(portal: Portal, body: dict, *, user: str = "demo.hr", language: str | None = None, key: str | None = None,
             dry_run: bool = False) -> httpx.Response:
    headers = portal.headers(user)
    if key:
        headers["Idempotency-Key"] = key
    with portal.client(language) as client:
        return client.post("/api/participants", json=body, headers=headers, params={"dry_run": "true"} if dry_run else None)


def test_a_new_participant_is_registered(portal: Portal, today: date) -> None:
    body = new_participant_body(today, 101)
    dry = register(portal, body, dry_run=True)
    assert dry.status_code == 200 and dry.json()["status"] == "dry_run" and dry.json()["id"] is None
    created = register(portal, body, key="new-101")
    again = register(portal, body, key="new-101")
    assert created.status_code == 201, created.text
    mutation = created.json()
    assert mutation["type"] == "new_participation" and mutation["status"] == "received"
    assert mutation["effective_date"] == body["date_in_service"] and "bsn" not in str(mutation["payload"])
    assert again.json()["id"] == mutation["id"] and again.headers["Idempotent-Replayed"] == "true"
    detail = participant(portal, mutation["participant"])
    assert detail["name"] == "Nieuwkomer, F." and detail["fulltime_salary"] == "48000.00"
    assert detail["parttime_percentage"] == "80.000" and detail["bsn_masked"].endswith(body["bsn"][-4:])
    duplicate = register(portal, new_participant_body(today, 101), language="en")
    assert duplicate.status_code == 422 and codes(duplicate) == ["already_participant"]
    assert mutation["participant"] in duplicate.json()["errors"][0]["message"]


def test_the_scheme_must_be_chosen_when_there_are_several(portal: Portal, today: date) -> None:
    dutch = register(portal, new_participant_body(today, 102, scheme=None))
    english = register(portal, new_participant_body(today, 102, scheme=None), language="en")
    assert dutch.status_code == english.status_code == 422
    assert codes(dutch) == ["scheme_required"] and fields(dutch) == ["scheme"]
    assert "regeling" in dutch.json()["errors"][0]["message"] and "scheme" in english.json()["errors"][0]["message"]


def test_a_start_more_than_three_months_ahead_is_refused(portal: Portal, today: date) -> None:
    late = add_months(today, 3) + timedelta(days=1)
    response = register(portal, new_participant_body(today, 103, date_in_service=late.isoformat()))
    assert response.status_code == 422 and codes(response) == ["start_date_too_late"]
    on_limit = register(portal, new_participant_body(today, 103, date_in_service=add_months(today, 3).isoformat()), dry_run=True)
    assert on_limit.status_code == 200


def test_a_retroactive_registration_needs_additional_checks(portal: Portal, today: date) -> None:
    response = register(portal, new_participant_body(today, 104, date_in_service=add_months(today, -5).isoformat()))
    assert response.status_code == 201
    assert response.json()["status"] == "additional_checks"
    with portal.client() as client:
        changes = client.get("/api/changes/individual", headers=portal.headers("demo.hr")).json()
    assert any(c["participant"] == response.json()["participant"] and c["status"] == "additional_checks" for c in changes)


def test_every_mistake_of_a_registration_is_listed(portal: Portal, today: date) -> None:
    body = new_participant_body(today, 105, bsn="123456789", salary="0", parttime_percentage="120",
                                birth_date=today.isoformat())
    response = register(portal, body, language="en")
    assert response.status_code == 422
    assert codes(response) == ["too_young", "invalid_bsn", "invalid_salary", "invalid_parttime_percentage"]


def test_finance_may_not_register_participants(portal: Portal, today: date) -> None:
    assert register(portal, new_participant_body(today, 106), user="demo.finance").status_code == 403
