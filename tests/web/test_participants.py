"""The participant pages in a real browser: search, sort, the eye icon, a salary change with its confirmation
step that then shows in submitted changes (in Dutch and in English), and Finance without any of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PORTAL_BIN, portal_test_server
from tests.web.conftest import log_in


@pytest.fixture(scope="module")
def participants_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A portal of this module's own, so the participants changed here are changed by nobody else."""
    # The widget on the pages gets an address where no assistant listens: these tests are about the pages.
    socket_url = f"http://127.0.0.1:{portal_test_server.free_port()}"
    with portal_test_server.running_portal(
        tmp_path_factory.mktemp("participants-portal"),
        extra_env={"PORTAL_CHAT_SOCKET_URL": socket_url},
        bin_dir=PORTAL_BIN,
    ) as running:
        yield running


def _today() -> str:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()


def _rows(page: Page) -> list[str]:
    return [row.get_attribute("data-number") for row in page.locator("#participants tbody tr").all()]


def _salaries(page: Page) -> list[Decimal]:
    """The full-time salary column as numbers, whatever the page's language writes them like."""
    cells = page.locator("#participants tbody tr td:nth-child(4)").all_inner_texts()
    values = []
    for cell in cells:
        digits = "".join(ch for ch in cell if ch.isdigit())
        values.append(Decimal(digits) / 100)
    return values


def _search_sort_and_open(page: Page, name: str, salary_header: str, number: str) -> None:
    page.fill("#q", name)
    page.click("#search-submit")
    expect(page.locator("#participants tbody tr")).to_have_count(2)
    page.click(f"#participants th >> text={salary_header}")
    expect(page.locator("#participants th[aria-sort=ascending]")).to_contain_text(salary_header)
    ascending = _salaries(page)
    assert ascending == sorted(ascending) and len(ascending) == 2
    page.click(f"#participants th >> text={salary_header}")
    expect(page.locator("#participants th[aria-sort=descending]")).to_contain_text(salary_header)
    assert _salaries(page) == sorted(ascending, reverse=True)
    page.click(f"tr[data-number='{number}'] a.view")
    page.wait_for_url(f"**/participants/{number}")


def _submit_salary_change(page: Page, salary: str, parttime: str) -> str:
    """Fills the form, checks, confirms; returns the success message."""
    page.click("#action-salary-change")
    page.fill("#f-effective_date", _today())
    page.fill("#f-salary", salary)
    page.fill("#f-parttime_percentage", parttime)
    page.click("#check-change")
    expect(page.locator("#confirm-summary")).to_be_visible()
    return page.locator("#confirm-summary").inner_text()


def test_hr_searches_sorts_opens_and_changes_a_salary_in_dutch(browser: Browser, participants_portal: object) -> None:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    log_in(page, participants_portal, "demo.hr")
    page.click("[data-tile=participants] a")
    page.wait_for_url("**/participants")
    expect(page.locator("#participants")).to_contain_text("Assob, G., ter")
    _search_sort_and_open(page, "Jansen", "Voltijd salaris", "2001682")
    expect(page.locator("#participant-name")).to_contain_text("Jansen, P.")
    assert page.inner_text("#participant-bsn").startswith("*****")
    # A value refused by the rules is explained at its field, in Dutch; nothing is submitted.
    page.click("#action-salary-change")
    page.fill("#f-effective_date", _today())
    page.fill("#f-parttime_percentage", "120")
    page.click("#check-change")
    expect(page.locator("#f-parttime_percentage-error")).to_contain_text("groter zijn dan 0 en mag maximaal 100 zijn")
    page.goto(f"{participants_portal.url}/participants/2001682")
    summary = _submit_salary_change(page, "63000", "")
    assert "63.000,00" in summary and "Ongewijzigd" in summary
    page.click("#submit-change")
    expect(page.locator("#change-submitted")).to_contain_text("Uw wijziging is ontvangen. Referentie:")
    reference = page.inner_text("#change-submitted").rsplit(" ", 1)[1].rstrip(".")
    expect(page.locator("#participant-salary")).to_contain_text("63.000,00")
    page.click("[data-menu=individual]")
    row = page.locator(f"#individual-changes tr[data-id='{reference}']")
    expect(row).to_contain_text("Salariswijziging")
    expect(row).to_contain_text("2001682")
    context.close()


def test_the_same_in_english(browser: Browser, participants_portal: object) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    log_in(page, participants_portal, "demo.um")
    page.goto(f"{participants_portal.url}/participants")
    page.click("#language-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Participants")
    page.select_option("#scheme", "all")
    _search_sort_and_open(page, "Jansen", "Full-time salary", "2001683")
    expect(page.locator("#participant-name")).to_contain_text("Jansen, A.")
    summary = _submit_salary_change(page, "", "90")
    assert "90.000%" in summary and "Unchanged" in summary
    page.click("#submit-change")
    expect(page.locator("#change-submitted")).to_contain_text("Your change has been received. Reference:")
    expect(page.locator("#participant-parttime")).to_have_text("90.000%")
    page.click("[data-menu=individual]")
    expect(page.locator("h1")).to_have_text("Submitted changes")
    expect(page.locator("#individual-changes tr[data-participant='2001683']")).to_contain_text("Salary change")
    page.click("[data-menu=collective]")
    expect(page.locator("[data-menu=collective]")).to_have_attribute("aria-current", "page")
    page.click("#language-switch")  # back to Dutch for whoever logs in as demo.um next
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    context.close()


def test_finance_sees_no_participants_and_no_forms(browser: Browser, participants_portal: object) -> None:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    log_in(page, participants_portal, "demo.finance")
    expect(page.locator("[data-tile=participants]")).to_have_count(0)
    for path in ("/participants", "/participants/2001681", "/participants/2001681/salary-change", "/changes"):
        response = page.goto(f"{participants_portal.url}{path}")
        assert response.status == 403, path
        expect(page.locator("h1")).to_have_text("Niet toegestaan")
        expect(page.locator("form.change-form, #change-actions, #participants")).to_have_count(0)
    context.close()
