"""Browser test of a collective salary change (§4.4.1): demo.hr downloads the workbook on /arrange, fills in ten
rows with openpyxl, uploads it, watches it being processed and finds the ten changes in submitted changes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PORTAL_BIN, portal_test_server
from tests.web.conftest import log_in

# openpyxl lives in the portal's environment (the assistant's has none): the filling runs there, as a user's Excel would.
FILL = """
import sys
from openpyxl import load_workbook
source, target = sys.argv[1], sys.argv[2]
workbook = load_workbook(source)
sheet = workbook.worksheets[0]
filled = []
for row in sheet.iter_rows(min_row=2):
    if len(filled) == 10:
        break
    if row[0].value > "2001690":
        row[5].value = 70000 + len(filled) * 500
        if len(filled) % 2:
            row[6].value = 90
        filled.append(row[0].value)
workbook.save(target)
print(" ".join(filled))
"""


@pytest.fixture(scope="module")
def collective_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A portal of this module's own, processing slowly enough to watch the status move."""
    env = {"PORTAL_COLLECTIVE_ROW_DELAY_SECONDS": "0.4"}
    with portal_test_server.running_portal(tmp_path_factory.mktemp("collective-pages"), extra_env=env, bin_dir=PORTAL_BIN) as running:
        yield running


def test_a_ten_row_collective_salary_change_on_the_pages(browser: Browser, collective_portal: object, tmp_path: Path) -> None:
    portal = collective_portal
    context = browser.new_context(locale="nl-NL", accept_downloads=True)
    page = context.new_page()
    try:
        log_in(page, portal, "demo.hr")
        page.click('[data-tile="arrange"] a')
        page.wait_for_url("**/arrange")
        page.click("#link-collective-salary")
        page.wait_for_url("**/arrange/collective-salary")
        page.fill("#f-effective_date", "")
        today = page.evaluate("() => new Date().toLocaleDateString('sv-SE', {timeZone: 'Europe/Amsterdam'})")
        page.fill("#f-effective_date", today)
        page.click("#choose-date")
        expect(page.locator("#download-workbook")).to_be_visible()

        with page.expect_download() as download_info:
            page.click("#download-workbook")
        download = download_info.value
        assert download.suggested_filename == f"salarissen-{today}.xlsx"
        downloaded = tmp_path / download.suggested_filename
        download.save_as(downloaded)
        filled_path = tmp_path / "ingevuld.xlsx"
        numbers = subprocess.run([str(PORTAL_BIN / "python"), "-c", FILL, str(downloaded), str(filled_path)],
                                 capture_output=True, text=True, check=True).stdout.split()
        assert len(numbers) == 10

        page.set_input_files("#f-file", str(filled_path))
        page.click("#upload-workbook")
        page.wait_for_url("**/arrange/collective/*")
        status = page.locator("#collective-status")
        expect(status).to_have_attribute("data-status", "processing", timeout=10_000)
        expect(page.locator("#collective-progress")).to_be_visible()
        expect(status).to_have_attribute("data-status", "processed", timeout=30_000)
        expect(status).to_have_text("Verwerkt")
        rows = page.locator("#collective-rows tbody tr")
        expect(rows).to_have_count(10)
        assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.participant)")) == sorted(numbers)
        expect(page.locator("#collective-rows")).to_contain_text("€ 70.000,00")

        page.goto(f"{portal.url}/changes?tab=collective")
        listed = page.locator("#collective-changes tbody tr").first
        expect(listed).to_contain_text("ingevuld.xlsx")
        expect(listed).to_contain_text("10")
        expect(listed.locator(".status")).to_have_text("Verwerkt")
        page.goto(f"{portal.url}/changes?tab=individual")
        for number in numbers:
            expect(page.locator("body")).to_contain_text(number)
    finally:
        context.close()
