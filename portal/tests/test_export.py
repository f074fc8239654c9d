"""Export of the participant file as of a date (§4.2.4, R8): state rebuilt from the history, kept in the export history."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.dates import add_months
from portal.exports.service import ExportRow, workbook_bytes
from portal.participants.models import ParticipantStatus
from tests.server import Portal

EXAMPLE_45 = "2001687"  # the manual's §4.5 example: in service 2023-01-01 at 45000, retroactive raise per 2023-06-01


def _export(portal: Portal, as_of: date | str, user: str = "demo.hr", language: str = "en", **extra: object):
    with portal.client(language) as client:
        return client.post("/api/exports", json={"as_of": str(as_of), **extra}, headers=portal.headers(user))


def _rows(portal: Portal, export: dict, user: str = "demo.hr") -> dict[str, dict[str, object]]:
    """The downloaded workbook's rows by participant number, keyed by the header row's column names."""
    with portal.client() as client:
        response = client.get(export["download_url"], headers=portal.headers(user))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *body = list(sheet.iter_rows(values_only=True))
    # Read-only mode leaves out trailing empty cells (no termination date): pad to the header's width.
    return {str(row[0]): dict(zip(header, (*row, *[None] * (len(header) - len(row))), strict=True)) for row in body}


def test_the_file_before_and_after_the_retroactive_change_of_the_example(portal: Portal) -> None:
    before = _export(portal, "2023-05-31")
    on_the_date = _export(portal, "2023-06-01")
    before_service = _export(portal, "2022-12-31")
    assert before.status_code == on_the_date.status_code == before_service.status_code == 201, before.text
    old, new = _rows(portal, before.json())[EXAMPLE_45], _rows(portal, on_the_date.json())[EXAMPLE_45]
    assert old["Name"] == "Smit, J." and old["Status"] == "Active"
    assert (old["Full-time salary"], new["Full-time salary"]) == (45000, 47500)
    assert new["Part-time percentage"] == 100
    assert EXAMPLE_45 not in _rows(portal, before_service.json())


def test_salary_part_time_and_termination_as_they_were(portal: Portal) -> None:
    early = _rows(portal, _export(portal, "2022-03-31").json())
    later = _rows(portal, _export(portal, "2024-06-30").json())
    # P. Jansen: 54.500 at 100% until his change per 1 April 2022, then 61.000 at 80%.
    assert (early["2001682"]["Full-time salary"], early["2001682"]["Part-time percentage"]) == (54500, 100)
    assert (later["2001682"]["Full-time salary"], later["2001682"]["Part-time percentage"]) == (61000, 80)
    # M. de Vries left per 30 June 2024: active before, dormant (slaper) from that date.
    assert early["2001684"]["Status"] == "Active" and early["2001684"]["Termination date"] is None
    assert later["2001684"]["Status"] == "Dormant"
    assert later["2001684"]["Termination date"].date() == date(2024, 6, 30)
    # A. Jansen came in service on 15 September 2021.
    assert "2001683" in early and early["2001683"]["Date in service"].date() == date(2021, 9, 15)


def test_the_file_as_of_today_equals_the_overview(portal: Portal, today: date) -> None:
    rows = _rows(portal, _export(portal, today).json())
    with portal.client() as client:
        overview = client.get("/api/participants", params={"page_size": 200, "page": 1, "sort": "number"},
                              headers=portal.headers("demo.hr")).json()
        second = client.get("/api/participants", params={"page_size": 200, "page": 2, "sort": "number"},
                            headers=portal.headers("demo.hr")).json()
    listed = overview["items"] + second["items"]
    assert len(listed) == overview["total"] == len(rows)
    for item in listed:
        row = rows[item["number"]]
        assert Decimal(str(row["Full-time salary"])) == Decimal(item["fulltime_salary"]), item["number"]
        assert Decimal(str(row["Part-time percentage"])) == Decimal(item["parttime_percentage"]), item["number"]
        assert row["Status"] == ("Active" if item["status"] == "active" else "Dormant"), item["number"]


def test_an_earlier_export_downloads_as_it_was_made_after_a_retroactive_change(
    portal: Portal, today: date, active_number: str
) -> None:
    as_of = today - timedelta(days=10)
    first = _export(portal, as_of).json()
    before = _rows(portal, first)[active_number]["Full-time salary"]
    with portal.client() as client:
        change = client.post(f"/api/participants/{active_number}/salary-change",
                             json={"effective_date": str(today - timedelta(days=40)), "salary": "71234.56"},
                             headers=portal.headers("demo.hr"))
        history = client.get("/api/exports", headers=portal.headers("demo.um")).json()
    assert change.status_code == 201, change.text
    second = _export(portal, as_of).json()
    assert _rows(portal, second)[active_number]["Full-time salary"] == pytest.approx(71234.56)
    assert _rows(portal, first)[active_number]["Full-time salary"] == before != pytest.approx(71234.56)
    # The history is the employer's: demo.um sees demo.hr's exports, newest first.
    assert history[0]["id"] == first["id"] and history[0]["requested_by"] == "Hanna Rietveld"
    assert [e["id"] for e in history] == sorted((e["id"] for e in history), reverse=True)


def test_the_file_is_in_the_users_language(portal: Portal) -> None:
    response = _export(portal, "2024-06-30", language="nl")
    assert response.json()["filename"] == "deelnemersbestand-2024-06-30.xlsx"
    rows = _rows(portal, response.json())
    assert rows["2001684"]["Status"] == "Slaper" and rows["2001681"]["Status"] == "Actief"
    assert {"Deelnamenummer", "Naam", "Regeling", "Parttimepercentage", "Datum uit dienst"} <= set(rows["2001684"])


def test_one_scheme_only(portal: Portal, today: date) -> None:
    response = _export(portal, today, scheme=2, language="en")
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == f"participant-file-{today.isoformat()}-2.xlsx"
    rows = _rows(portal, response.json())
    assert rows and all(str(row["Scheme"]).startswith("2 ") for row in rows.values())
    assert {"2001685", "2001686"} <= set(rows) and "2001681" not in rows
    assert {row["Status"] for row in rows.values()} <= {"Active", "Dormant"}


@pytest.mark.parametrize("language,message", [("nl", "uiterlijk"), ("en", "at the latest")])
def test_a_date_more_than_three_months_ahead_is_refused(portal: Portal, today: date, language: str, message: str) -> None:
    latest = add_months(today, 3)
    accepted = _export(portal, latest)
    refused = _export(portal, latest + timedelta(days=1), language=language)
    assert accepted.status_code == 201
    assert refused.status_code == 422
    problem = refused.json()["errors"][0]
    assert (problem["code"], problem["field"]) == ("as_of_too_late", "as_of") and message in problem["message"]


def test_a_scheme_the_employer_does_not_have_and_a_bad_date_are_refused(portal: Portal) -> None:
    unknown = _export(portal, "2024-01-01", scheme=7)
    bad = _export(portal, "31-12-2024")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["code"] == "unknown_scheme"
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "invalid_date"


def test_finance_cannot_export_and_another_employer_cannot_download(portal: Portal) -> None:
    made = _export(portal, "2024-01-01").json()
    with portal.client() as client:
        finance = client.post("/api/exports", json={"as_of": "2024-01-01"}, headers=portal.headers("demo.finance"))
        finance_list = client.get("/api/exports", headers=portal.headers("demo.finance"))
        theirs = client.get(made["download_url"], headers=portal.headers("other.hr"))
        their_history = client.get("/api/exports", headers=portal.headers("other.hr")).json()
    assert finance.status_code == finance_list.status_code == 403
    assert theirs.status_code == 404
    assert made["id"] not in {e["id"] for e in their_history}


def test_a_name_that_looks_like_a_formula_stays_text_and_is_neutralised() -> None:
    row = ExportRow("1", "=HYPERLINK(\"http://evil\")", "1 Regeling", date(1980, 1, 1), date(2020, 1, 1),
                    Decimal("50000"), Decimal("100"), ParticipantStatus.active, None)
    sheet = load_workbook(io.BytesIO(workbook_bytes([row], "en", date(2024, 1, 1)))).worksheets[0]
    cell = sheet["B2"]
    # Text in the file, and an apostrophe in front so that copying it or saving it as CSV does not make it a formula.
    assert cell.data_type == "s" and cell.value == "'=HYPERLINK(\"http://evil\")"
