"""The pages of §4.2.4 (export), §5 (documents), §6 (contact details), §7 (scheme) and §8 (service), over HTTP."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from openpyxl import load_workbook

from tests.server import Portal
from tests.test_web import csrf_of, log_in

SignedIn = Callable[[str], tuple[httpx.Client, httpx.Response]]


@pytest.fixture(scope="module")
def signed_in(portal: Portal) -> Iterator[SignedIn]:
    """Each user logged in on the pages once per module."""
    sessions: dict[str, tuple[httpx.Client, httpx.Response]] = {}

    def session_of(username: str) -> tuple[httpx.Client, httpx.Response]:
        if username not in sessions:
            client = httpx.Client(base_url=portal.url, timeout=30)
            sessions[username] = (client, log_in(client, portal, username))
        return sessions[username]

    yield session_of
    for client, _ in sessions.values():
        client.close()


def _in_english(client: httpx.Client, home: httpx.Response, path: str) -> httpx.Response:
    """The globe on `path`, then the page again; the language is switched back afterwards."""
    switched = client.post("/language", data={"csrf": csrf_of(home), "language": "en", "next": path})
    assert switched.status_code == 303 and switched.headers["location"] == path
    page = client.get(path)
    client.post("/language", data={"csrf": csrf_of(home), "language": "nl", "next": "/"})
    return page


def test_hr_is_refused_the_financial_documents_page_and_finance_sees_it(signed_in: SignedIn) -> None:
    hr, _ = signed_in("demo.hr")
    finance, _ = signed_in("demo.finance")
    refused = hr.get("/documents/financial")
    page = finance.get("/documents/financial")
    assert refused.status_code == 403 and "Factuur" not in refused.text
    assert page.status_code == 200
    assert "Financiële documenten" in page.text and "Aanmaning" in page.text and "Boekingsoverzicht" in page.text
    assert 'id="scheme-choice"' in page.text  # two schemes: a choice


def test_opening_a_document_on_the_page_clears_the_mark_for_colleagues(signed_in: SignedIn) -> None:
    um, _ = signed_in("demo.um")
    hrfin, _ = signed_in("demo.hrfin")
    page = um.get("/documents/financial", params={"scheme": 2})
    booking = re.search(r'<tr data-document="(\d+)" class="unread-row">\s*<td>\s*<a class="document-link" href="([^"]+)"[^>]*>Boekingsoverzicht', page.text)
    assert booking, page.text
    document_id, href = booking.groups()
    pdf = hrfin.get(href)
    after = um.get("/documents/financial", params={"scheme": 2})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert f'<tr data-document="{document_id}" class="read-row">' in after.text


def test_the_legal_documents_page_for_every_role_in_both_languages(signed_in: SignedIn) -> None:
    client, home = signed_in("demo.hr")
    dutch = client.get("/documents/legal")
    english = _in_english(client, home, "/documents/legal")
    assert dutch.status_code == english.status_code == 200
    assert "Juridische documenten" in dutch.text and "Pensioenreglement" in dutch.text
    assert "Legal documents" in english.text and "Pension regulations" in english.text and "Execution agreement" in english.text


def test_the_scheme_page_offers_a_choice_and_shows_the_coverage(signed_in: SignedIn) -> None:
    client, home = signed_in("demo.finance")
    first = client.get("/scheme")
    second = client.get("/scheme", params={"scheme": 2})
    english = _in_english(client, home, "/scheme")
    assert 'data-scheme="1"' in first.text and "Ouderdomspensioen" in first.text and "ANW-hiaatpensioen" not in first.text
    assert "Pensioenregeling Voorbeeld Techniek Management" in second.text and "ANW-hiaatpensioen" in second.text
    assert "Old-age pension" in english.text and "Coverage" in english.text
    # Finance may not export: no link to the export.
    assert 'href="/export"' not in first.text


def test_contact_details_form_saves_address_and_contact_person_only(signed_in: SignedIn, portal: Portal) -> None:
    client, _ = signed_in("demo.finance")
    form = client.get("/profile", params={"edit": "company"})
    assert form.status_code == 200 and 'action="/profile/company"' in form.text
    assert 'name="name"' not in form.text and 'name="chamber_of_commerce_number"' not in form.text
    fields = {"postal_street": "Postbus 77", "postal_postcode": "3500ab", "postal_city": "Utrecht",
              "contact_name": "Linda de Boer", "contact_email": "hr@voorbeeld.example", "contact_phone": "030 123 45 67"}
    bad = client.post("/profile/company", data={"csrf": csrf_of(form), **fields, "postal_postcode": "nope"})
    saved = client.post("/profile/company", data={"csrf": csrf_of(form), **fields, "name": "Overgenomen B.V."})
    shown = client.get(saved.headers.get("location", "/profile"))
    with portal.client() as api:
        company = api.get("/api/profile/company", headers=portal.headers("demo.um")).json()
        api.patch("/api/profile/company", json={"postal_street": "Postbus 1180", "postal_postcode": "3500 BD"},
                  headers=portal.headers("demo.um"))
    assert bad.status_code == 422 and "Vul een Nederlandse postcode in" in bad.text
    assert saved.status_code == 303 and saved.headers["location"] == "/profile?section=company&saved=company"
    assert 'id="saved"' in shown.text and "Postbus 77" in shown.text and "3500 AB" in shown.text
    assert (company["postal_street"], company["name"]) == ("Postbus 77", "Voorbeeld Techniek B.V.")


def test_my_details_and_the_advisor(signed_in: SignedIn) -> None:
    client, home = signed_in("demo.um")
    mine = client.get("/profile")
    advisor = client.get("/profile", params={"section": "advisor"})
    english = _in_english(client, home, "/profile")
    assert "Ursula Mertens" in mine.text and 'id="edit-me"' in mine.text
    assert "Mark Hendriks" in advisor.text and "<form" not in advisor.text.split('id="my-advisor"')[1].split("</section>")[0]
    assert "My details" in english.text and "My company" in english.text and "My advisor" in english.text


def test_the_service_page_in_both_languages(signed_in: SignedIn) -> None:
    client, home = signed_in("demo.hr")
    dutch = client.get("/service")
    english = _in_english(client, home, "/service")
    assert "Veelgestelde vragen" in dutch.text and "Hoe pas ik de taal van het portaal aan?" in dutch.text
    assert "Frequently asked questions" in english.text and "How do I change the language of the portal?" in english.text
    assert 'id="contact"' in dutch.text and 'href="tel:' in dutch.text


def test_hr_exports_on_the_page_and_downloads_the_file_again(signed_in: SignedIn) -> None:
    client, _ = signed_in("demo.hr")
    page = client.get("/export")
    made = client.post("/export", data={"csrf": csrf_of(page), "as_of": "2023-05-31", "scheme": ""})
    assert made.status_code == 303 and made.headers["location"].startswith("/export?created=")
    export_id = made.headers["location"].split("=")[1]
    listed = client.get(made.headers["location"])
    assert f'data-export="{export_id}" class="just-made"' in listed.text and 'id="export-ready"' in listed.text
    file = client.get(f"/export/{export_id}/file")
    assert file.status_code == 200 and file.headers["content-disposition"].startswith("attachment;")
    rows = list(load_workbook(io.BytesIO(file.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Deelnamenummer"
    assert next(row for row in rows if row[0] == "2001687")[5] == 45000


def test_a_date_too_far_ahead_is_explained_on_the_page(signed_in: SignedIn) -> None:
    client, _ = signed_in("demo.hr")
    page = client.get("/export")
    refused = client.post("/export", data={"csrf": csrf_of(page), "as_of": "2999-01-01"})
    assert refused.status_code == 422 and 'id="export-error"' in refused.text and "uiterlijk" in refused.text


def test_finance_cannot_open_the_export_page(signed_in: SignedIn) -> None:
    client, _ = signed_in("demo.finance")
    assert client.get("/export").status_code == 403
    assert client.get("/export/1/file").status_code == 403
