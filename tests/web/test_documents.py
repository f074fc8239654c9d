"""Documents, scheme, contact details, service and export pages in a real browser (§4.2.4, §5-§8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PORTAL_BIN, portal_test_server
from tests.web.conftest import log_in


@pytest.fixture(scope="module")
def docs_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A portal of this module's own: every document starts unread."""
    with portal_test_server.running_portal(tmp_path_factory.mktemp("docs-portal"), bin_dir=PORTAL_BIN) as running:
        yield running


def _signed_in(browser: Browser, portal: object, username: str) -> Page:
    page = browser.new_context(locale="nl-NL", accept_downloads=True).new_page()
    log_in(page, portal, username)
    return page


def test_finance_opens_an_invoice_and_the_unread_mark_is_gone_for_user_management(
    browser: Browser, docs_portal: object, tmp_path: Path
) -> None:
    finance = _signed_in(browser, docs_portal, "demo.finance")
    finance.click("[data-tile=financial-documents] a")
    finance.wait_for_url("**/documents/financial")
    expect(finance.locator("h1")).to_have_text("Financiële documenten")
    invoice = finance.locator("section[data-scheme='1'] tr.unread-row", has_text="Factuur").first
    document_id = invoice.get_attribute("data-document")
    expect(invoice.locator(".unread-mark")).to_have_text("Ongelezen")

    with finance.expect_download() as opened:
        invoice.locator("a.document-link").click()
    download = opened.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".pdf" and saved.read_bytes().startswith(b"%PDF-")

    finance.reload()
    expect(finance.locator(f"tr[data-document='{document_id}'] .unread-mark")).to_have_count(0)
    finance.context.close()

    um = _signed_in(browser, docs_portal, "demo.um")
    um.goto(f"{docs_portal.url}/documents/financial")
    row = um.locator(f"tr[data-document='{document_id}']")
    expect(row).to_have_class("read-row")
    expect(row.locator(".unread-mark")).to_have_count(0)
    # Only that document: the scheme's other documents are still unread for demo.um.
    expect(um.locator("section[data-scheme='1'] .unread-mark")).to_have_count(3)
    um.context.close()


def test_the_globe_on_the_documents_scheme_profile_and_service_pages(browser: Browser, docs_portal: object) -> None:
    page = _signed_in(browser, docs_portal, "demo.hrfin")
    page.goto(f"{docs_portal.url}/documents/legal")
    expect(page.locator("h1")).to_have_text("Juridische documenten")
    page.click("#language-switch")
    page.wait_for_url("**/documents/legal")
    expect(page.locator("h1")).to_have_text("Legal documents")
    expect(page.locator("table.documents").first).to_contain_text("Pension regulations")
    for path, heading, text in [
        ("/scheme", "Pension scheme", "Old-age pension"),
        ("/profile", "Contact details", "My details"),
        ("/service", "Service & contact", "Frequently asked questions"),
        ("/documents/financial", "Financial documents", "Booking overview"),
    ]:
        page.goto(f"{docs_portal.url}{path}")
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.locator("main")).to_contain_text(text)
    page.click("#language-switch")
    page.wait_for_url("**/documents/financial")
    expect(page.locator("h1")).to_have_text("Financiële documenten")
    page.goto(f"{docs_portal.url}/service")
    expect(page.locator("#faq")).to_contain_text("Veelgestelde vragen")
    page.context.close()


def test_hr_exports_the_participant_file_and_downloads_it_from_the_history(
    browser: Browser, docs_portal: object, tmp_path: Path
) -> None:
    page = _signed_in(browser, docs_portal, "demo.hr")
    page.goto(f"{docs_portal.url}/export")
    expect(page.locator("#no-exports")).to_be_visible()
    page.fill("#as_of", "2023-06-01")
    page.select_option("#scheme", "1")
    page.click("#export-submit")
    page.wait_for_url(re.compile(r".*/export\?created=\d+"))
    expect(page.locator("#export-ready")).to_be_visible()
    made = page.locator("#export-history tbody tr").first
    expect(made).to_contain_text("1 juni 2023")
    with page.expect_download() as fetched:
        made.locator("a.export-download").click()
    assert fetched.value.suggested_filename == "deelnemersbestand-2023-06-01-1.xlsx"
    saved = tmp_path / "export.xlsx"
    fetched.value.save_as(saved)
    assert saved.read_bytes().startswith(b"PK")  # an xlsx is a zip archive
    page.context.close()
