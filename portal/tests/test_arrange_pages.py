"""The 'arrange directly' pages over HTTP: a new participant with scheme choice and confirmation, an upload's errors, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from portal.dates import add_months
from tests.server import Portal
from tests.test_collective import valid_bsn
from tests.test_web import browser, csrf_of, log_in


@pytest.fixture(scope="module")
def hr(portal: Portal) -> Iterator[httpx.Client]:
    with browser(portal) as client:
        log_in(client, portal, "demo.hr")
        yield client


def test_finance_does_not_get_the_pages(portal: Portal) -> None:
    with browser(portal) as client:
        log_in(client, portal, "demo.finance")
        assert client.get("/arrange").status_code == 403
        assert client.get("/arrange/participant").status_code == 403
        assert client.get("/arrange/collective-salary").status_code == 403


def test_a_new_participant_on_the_pages(hr: httpx.Client, today: date) -> None:
    choice = hr.get("/arrange/participant")
    assert choice.status_code == 200 and 'id="scheme-form"' in choice.text and 'id="scheme-2"' in choice.text
    form = hr.get("/arrange/participant", params={"scheme": 2})
    assert 'id="new-participant-form"' in form.text
    key = re.search(r'name="key" value="([^"]+)"', form.text).group(1)
    values = {"csrf": csrf_of(form), "key": key, "scheme": "2", "first_name": "Roos", "last_name": "Paginatest",
              "gender": "V", "birth_date": "1993-02-03", "bsn": valid_bsn(201),
              "date_in_service": add_months(today, 4).isoformat(), "salary": "51.000,00".replace(".", ""),
              "parttime_percentage": "100"}
    too_late = hr.post("/arrange/participant", data={**values, "action": "check"})
    assert too_late.status_code == 422 and "uiterlijk" in too_late.text and 'id="f-date_in_service-error"' in too_late.text
    values["date_in_service"] = today.isoformat()
    confirm = hr.post("/arrange/participant", data={**values, "action": "check"})
    assert confirm.status_code == 200 and 'id="submit-participant"' in confirm.text
    done = hr.post("/arrange/participant", data={**values, "action": "submit"})
    again = hr.post("/arrange/participant", data={**values, "action": "submit"})
    number = re.search(r"nummer (\d{7})", done.text).group(1)
    assert 'id="participant-registered"' in done.text and number in again.text  # one registration per form
    detail = hr.get(f"/participants/{number}")
    assert "Paginatest" in detail.text


def test_a_bad_upload_lists_its_cells(hr: httpx.Client, today: date) -> None:
    page = hr.get("/arrange/collective-salary", params={"effective_date": today.isoformat()})
    assert 'id="download-workbook"' in page.text
    answer = hr.post(
        "/arrange/collective-salary",
        data={"csrf": csrf_of(page), "effective_date": today.isoformat()},
        files={"file": ("notities.txt", b"geen werkboek", "text/plain")},
    )
    assert answer.status_code == 422
    assert 'id="upload-errors"' in answer.text and "geen Excel-bestand" in answer.text
