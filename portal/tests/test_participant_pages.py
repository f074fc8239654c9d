"""The participant pages over HTTP (§4, §4.1, §4.2, §4.5): overview, detail, change forms, submitted changes."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import portal as portal_package
from tests.server import Portal
from tests.test_web import csrf_of, log_in

PACKAGE = Path(portal_package.__file__).parent
KEY = re.compile(r'name="key" value="([^"]+)"')
ROW = re.compile(r'<tr data-number="(\d+)"')
SignedIn = Callable[[str], tuple[httpx.Client, httpx.Response]]


@pytest.fixture(scope="module")
def signed_in(portal: Portal) -> Iterator[SignedIn]:
    """Each user logged in on the pages once for this module."""
    sessions: dict[str, tuple[httpx.Client, httpx.Response]] = {}

    def session_of(username: str) -> tuple[httpx.Client, httpx.Response]:
        if username not in sessions:
            client = httpx.Client(base_url=portal.url, timeout=30)
            sessions[username] = (client, log_in(client, portal, username))
        return sessions[username]

    yield session_of
    for client, _ in sessions.values():
        client.close()


@contextmanager
def in_english(client: httpx.Client, home: httpx.Response) -> Iterator[None]:
    """The globe set to English for the duration, and back to Dutch afterwards (other tests expect Dutch)."""
    client.post("/language", data={"csrf": csrf_of(home), "language": "en"})
    try:
        yield
    finally:
        client.post("/language", data={"csrf": csrf_of(home), "language": "nl"})


def rows_of(page: httpx.Response) -> list[str]:
    """The participant numbers of the overview's rows, in order."""
    return ROW.findall(page.text)


def plain(page: httpx.Response) -> str:
    """The page's text with Babel's non-breaking spaces (in '€ 52.242,28') as plain ones."""
    return page.text.replace("\u00a0", " ")


def field_error(page: httpx.Response, field: str) -> str:
    """The message shown at a form field, or '' when there is none."""
    match = re.search(rf'id="f-{field}-error">([^<]*)<', page.text)
    return match.group(1) if match else ""


def api_changes(portal: Portal, number: str) -> list[dict]:
    with portal.client() as client:
        return client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()["changes"]


def post_form(client: httpx.Client, page: httpx.Response, path: str, action: str, **values: str) -> httpx.Response:
    """Posts a change form with the CSRF token and Idempotency-Key of the page it came from."""
    return client.post(path, data={"csrf": csrf_of(page), "key": KEY.search(page.text).group(1), "action": action, **values})


# --- the overview (R4) -------------------------------------------------------------------------------


def test_the_overview_lists_the_first_scheme_with_the_manuals_columns(signed_in: SignedIn) -> None:
    client, _ = signed_in("demo.hr")
    page = client.get("/participants")
    assert page.status_code == 200
    row = re.search(r'<tr data-number="2001681">(.*?)</tr>', page.text, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).replace("\u00a0", " ").strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[:6] == ["2001681", "Assob, G., ter", "01-08-2019", "€ 52.242,28", "100,000%", "Actief"]
    assert 'href="/participants/2001681"' in row and 'aria-label="Assob, G., ter inzien"' in row
    for header in ("Deelnamenummer", "Naam", "Datum in dienst", "Voltijd salaris", "Parttimepercentage", "Status", "Acties"):
        assert f">{header}<" in page.text or f">{header} <" in page.text, header
    # Per selected scheme: scheme 2's participants only when it is chosen.
    assert "2001685" not in rows_of(page)
    assert 'id="export-link" href="/export"' in page.text  # the manual's "Exporteer medewerkers" (§4.2.4)
    assert '<option value="1" selected>' in page.text and '<option value="all">' in page.text
    scheme_2 = client.get("/participants", params={"scheme": "2"})
    assert "2001685" in rows_of(scheme_2) and "2001681" not in rows_of(scheme_2)
    everyone = client.get("/participants", params={"scheme": "all", "q": "2001685"})
    assert rows_of(everyone) == ["2001685"]


def test_search_sort_and_pages(signed_in: SignedIn, portal: Portal) -> None:
    client, _ = signed_in("demo.hr")
    jansen = client.get("/participants", params={"q": "jansen"})
    assert rows_of(jansen) == ["2001683", "2001682"]  # by name: A. before P.
    assert "Gevonden deelnemers: 2" in jansen.text
    by_salary = client.get("/participants", params={"sort": "fulltime_salary", "order": "desc"})
    with portal.client() as api:
        expected = api.get("/api/participants", params={"scheme": 1, "sort": "fulltime_salary", "order": "desc", "page_size": 25},
                           headers=portal.headers("demo.hr")).json()["items"]
    assert rows_of(by_salary) == [p["number"] for p in expected]
    assert 'aria-sort="descending"' in by_salary.text
    # The header of the sorted column turns the order around; the others start ascending.
    assert 'href="/participants?scheme=1&amp;sort=fulltime_salary"' in by_salary.text
    first, second = client.get("/participants"), client.get("/participants", params={"page": 2})
    assert len(rows_of(first)) == 25 and set(rows_of(first)).isdisjoint(rows_of(second))
    assert re.search(r"Pagina 2 van \d+", second.text)
    # Nonsense in the address gives the list, not an error.
    odd = client.get("/participants", params={"sort": "bsn", "order": "sideways", "page": "-3", "scheme": "9"})
    assert odd.status_code == 200 and rows_of(odd) == rows_of(first)
    nothing = client.get("/participants", params={"q": "zzzzqqq"})
    assert 'id="no-participants"' in nothing.text


def test_refresh_brings_the_list_up_to_date_and_returns_to_it(signed_in: SignedIn) -> None:
    client, _ = signed_in("demo.hr")
    page = client.get("/participants", params={"q": "jansen"})
    answer = client.post("/participants/refresh", data={"csrf": csrf_of(page), "next": "/participants?q=jansen"})
    assert answer.status_code == 303 and answer.headers["location"] == "/participants?q=jansen"
    elsewhere = client.post("/participants/refresh", data={"csrf": csrf_of(page), "next": "https://evil.example/"})
    assert elsewhere.headers["location"] == "/participants"


def test_the_overview_in_english(signed_in: SignedIn) -> None:
    client, home = signed_in("demo.um")
    with in_english(client, home):
        page = client.get("/participants", params={"q": "2001681"})
    assert "€52,242.28" in plain(page) and "100.000%" in page.text and ">Active<" in page.text
    assert "Participant number" in page.text and "01/08/2019" in page.text


# --- the detail (§4.1) -------------------------------------------------------------------------------


def test_the_detail_shows_personal_data_with_a_masked_bsn_coverages_family_and_history(signed_in: SignedIn, portal: Portal) -> None:
    client, _ = signed_in("demo.hr")
    page = client.get("/participants/2001681")
    assert page.status_code == 200
    with sqlite3.connect(portal.database) as db:
        (bsn,) = db.execute("SELECT bsn FROM participant WHERE number = '2001681'").fetchone()
    assert bsn not in page.text
    assert f'id="participant-bsn">*****{bsn[-4:]}<' in page.text
    assert "Gerrit" in page.text and "Ouderdomspensioen" in page.text and "Nieuwe deelname" in page.text
    assert "€ 52.242,28" in plain(page)
    for form in ("salary-change", "termination", "family-members"):
        assert f'id="action-{form}"' in page.text
    assert client.get("/participants/9999999").status_code == 404
    # The history says what each change changed, as the API's detail does.
    start = re.search(r'<tr data-id="\d+" data-type="new_participation">(.*?)</tr>', plain(client.get("/participants/2001685")), re.S)
    assert "€ 57.750,00 · 90,000%" in start.group(1)


def test_a_dormant_participant_says_why_and_offers_no_forms(signed_in: SignedIn, today: date) -> None:
    client, _ = signed_in("demo.hr")
    page = client.get("/participants/2001684")
    assert "slaper" in page.text and 'id="change-blocked"' in page.text
    assert 'id="change-actions"' not in page.text
    form = client.get("/participants/2001684/salary-change")
    assert 'id="change-blocked"' in form.text and 'id="change-form"' not in form.text
    crafted = client.post("/participants/2001684/salary-change", data={
        "csrf": csrf_of(page), "action": "submit", "effective_date": today.isoformat(), "salary": "50000",
    })
    assert crafted.status_code == 422 and "slaper" in crafted.text


# --- the change forms (§4.2) -------------------------------------------------------------------------


def test_a_salary_change_is_checked_confirmed_and_submitted_once(
    signed_in: SignedIn, portal: Portal, active_number: str, today: date
) -> None:
    client, _ = signed_in("demo.hr")
    path = f"/participants/{active_number}/salary-change"
    before = len(api_changes(portal, active_number))
    form = client.get(path)
    assert form.status_code == 200 and 'id="change-form"' in form.text
    not_a_number = post_form(client, form, path, "check", effective_date=today.isoformat(), salary="veel")
    assert not_a_number.status_code == 422
    assert field_error(not_a_number, "salary") == "Vul een geldig getal in."
    assert 'value="veel"' in not_a_number.text  # what the user typed stays in the field
    wrong = post_form(client, form, path, "check", effective_date=(today + timedelta(days=200)).isoformat(), salary="0")
    assert wrong.status_code == 422
    assert "drie maanden" in field_error(wrong, "effective_date")
    assert "meer dan" in field_error(wrong, "salary")
    confirm = post_form(client, wrong, path, "check", effective_date=today.isoformat(), salary="61500,5", parttime_percentage="")
    assert confirm.status_code == 200 and 'id="confirm-summary"' in confirm.text
    assert "€ 61.500,50" in plain(confirm) and "Ongewijzigd" in confirm.text
    assert len(api_changes(portal, active_number)) == before  # checking records nothing
    submitted = post_form(client, confirm, path, "submit", effective_date=today.isoformat(), salary="61500.50")
    assert submitted.status_code == 303
    location = submitted.headers["location"]
    assert re.fullmatch(rf"/participants/{active_number}\?submitted=\d+", location)
    again = post_form(client, confirm, path, "submit", effective_date=today.isoformat(), salary="61500.50")
    assert again.status_code == 303 and again.headers["location"] == location  # a double submit: one mutation
    changes = api_changes(portal, active_number)
    assert len(changes) == before + 1 and str(changes[0]["id"]) == location.rsplit("=", 1)[1]
    detail = client.get(location)
    assert f"Referentie: {changes[0]['id']}" in detail.text
    assert 'id="participant-salary">€ 61.500,50<' in plain(detail)
    # The same form's key with other values is not a second change of the first one.
    reused = post_form(client, confirm, path, "submit", effective_date=today.isoformat(), salary="70000")
    assert reused.status_code == 422 and "al verstuurd" in reused.text
    assert KEY.search(reused.text).group(1) != KEY.search(confirm.text).group(1)
    listed = client.get("/changes")
    assert f'data-id="{changes[0]["id"]}" data-participant="{active_number}"' in listed.text


def test_edit_goes_back_to_the_form_with_the_values(signed_in: SignedIn, active_number: str, today: date) -> None:
    client, _ = signed_in("demo.hr")
    path = f"/participants/{active_number}/salary-change"
    form = client.get(path)
    back = post_form(client, form, path, "edit", effective_date=today.isoformat(), parttime_percentage="80")
    assert 'id="change-form"' in back.text and 'value="80"' in back.text
    assert KEY.search(back.text).group(1) == KEY.search(form.text).group(1)


def test_a_termination_through_the_pages(signed_in: SignedIn, portal: Portal, active_number: str, today: date) -> None:
    client, _ = signed_in("demo.um")
    path = f"/participants/{active_number}/termination"
    form = client.get(path)
    confirm = post_form(client, form, path, "check", effective_date=(today + timedelta(days=10)).isoformat())
    assert 'id="confirm-effective-date"' in confirm.text
    done = post_form(client, confirm, path, "submit", effective_date=(today + timedelta(days=10)).isoformat())
    assert done.status_code == 303
    assert api_changes(portal, active_number)[0]["type"] == "termination"
    second = post_form(client, client.get(path), path, "check", effective_date=(today + timedelta(days=20)).isoformat())
    assert second.status_code == 422 and "al een uitdiensttreding" in field_error(second, "effective_date")


def test_a_child_needs_a_valid_bsn_and_it_is_shown_masked(signed_in: SignedIn, active_number: str) -> None:
    client, _ = signed_in("demo.hr")
    path = f"/participants/{active_number}/family-members"
    form = client.get(path)
    values = {"relation": "child", "first_name": "Fleur", "infix": "", "last_name": "Pagina", "birth_date": "2019-05-04"}
    wrong = post_form(client, form, path, "check", **values, bsn="123456789")
    assert wrong.status_code == 422 and "elfproef" in field_error(wrong, "bsn")
    missing = post_form(client, form, path, "check", **{**values, "relation": ""}, bsn="")
    assert field_error(missing, "relation") == "Dit veld is verplicht." and field_error(missing, "bsn") == "Dit veld is verplicht."
    confirm = post_form(client, form, path, "check", **values, bsn="111222333")
    assert 'id="confirm-bsn">*****2333<' in confirm.text and "4 mei 2019" in confirm.text
    done = post_form(client, confirm, path, "submit", **values, bsn="111222333")
    detail = client.get(done.headers["location"])
    assert "Fleur Pagina" in detail.text and "*****2333" in detail.text and "111222333" not in detail.text


def test_errors_are_shown_in_english_for_an_english_user(signed_in: SignedIn, active_number: str, today: date) -> None:
    client, home = signed_in("demo.um")
    path = f"/participants/{active_number}/salary-change"
    with in_english(client, home):
        form = client.get(path)
        wrong = post_form(client, form, path, "check", effective_date=today.isoformat())
        changes = client.get("/changes")
    assert "Change salary and/or part-time percentage" in form.text
    assert field_error(wrong, "salary") == "Enter a new full-time salary, a new part-time percentage, or both."
    assert "Submitted changes individual" in changes.text and "Type of change" in changes.text


# --- roles -------------------------------------------------------------------------------------------


def test_finance_sees_no_participants_and_a_crafted_post_is_refused(signed_in: SignedIn, portal: Portal, today: date) -> None:
    client, home = signed_in("demo.finance")
    before = len(api_changes(portal, "2001683"))
    assert client.get("/participants").status_code == 403
    assert client.get("/participants/2001683").status_code == 403
    assert client.get("/participants/2001683/salary-change").status_code == 403
    assert client.get("/changes").status_code == 403
    crafted = client.post("/participants/2001683/salary-change", data={
        "csrf": csrf_of(home), "key": "web-1-abcdefghijklmnopqrstuv", "action": "submit",
        "effective_date": today.isoformat(), "salary": "99999",
    })
    assert crafted.status_code == 403 and "rol" in crafted.text
    assert len(api_changes(portal, "2001683")) == before


def test_a_post_without_the_csrf_token_is_refused(signed_in: SignedIn, today: date) -> None:
    client, _ = signed_in("demo.hr")
    answer = client.post("/participants/2001683/salary-change",
                         data={"action": "submit", "effective_date": today.isoformat(), "salary": "1"})
    assert answer.status_code == 403


# --- submitted changes (§4.5) ------------------------------------------------------------------------


def test_submitted_changes_show_the_latest_change_per_participant(signed_in: SignedIn) -> None:
    client, _ = signed_in("demo.hr")
    page = client.get("/changes")
    assert page.status_code == 200
    # The manual's §4.5 example: the intermediary change of 1 August 2023, requested outside the portal.
    row = re.search(r'<tr data-id="\d+" data-participant="2001687"[^>]*>(.*?)</tr>', page.text, re.S).group(1)
    assert "Tussenpersoon wijziging" in row and "1 augustus 2023" in row and "Buiten het portaal" in row
    assert 'aria-current="page"' in page.text and "Ingediende wijzigingen collectief" in page.text
    collective = client.get("/changes", params={"tab": "collective"})
    assert collective.status_code == 200 and 'data-menu="collective" aria-current="page"' in collective.text


def test_the_collective_lock_is_explained_and_refuses_individual_changes(fresh_portal: Portal, today: date) -> None:
    with sqlite3.connect(fresh_portal.database) as db:
        (employer_id,) = db.execute("SELECT id FROM employer WHERE name = 'Voorbeeld Techniek B.V.'").fetchone()
        db.execute(
            "INSERT INTO collective_change (employer_id, kind, status, effective_date, uploaded_at, filename, row_count)"
            " VALUES (?, 'salary', 'processing', ?, ?, 'salarissen.xlsx', 250)",
            (employer_id, today.isoformat(), f"{today.isoformat()} 09:00:00"),
        )
    with httpx.Client(base_url=fresh_portal.url, timeout=30) as client:
        log_in(client, fresh_portal, "demo.hr")
        detail = client.get("/participants/2001683")
        form = client.get("/participants/2001683/salary-change")
        crafted = client.post("/participants/2001683/salary-change", data={
            "csrf": csrf_of(detail), "key": f"web-0-{'a' * 20}", "action": "submit",
            "effective_date": today.isoformat(), "salary": "50000",
        })
        collective = client.get("/changes", params={"tab": "collective"})
    assert 'id="change-blocked"' in detail.text and "24 uur" in detail.text and 'id="change-actions"' not in detail.text
    assert 'id="change-form"' not in form.text and "24 uur" in form.text
    assert crafted.status_code == 409 and "24 uur" in crafted.text
    assert "salarissen.xlsx" in collective.text and "In verwerking" in collective.text


# --- texts -------------------------------------------------------------------------------------------


def test_every_text_of_these_pages_has_a_dutch_translation() -> None:
    sources = [PACKAGE / "participants" / "pages.py", PACKAGE / "mutations" / "pages.py", PACKAGE / "web" / "labels.py"]
    templates = ["participants.html", "participant.html", "participant_form.html", "participant_missing.html",
                 "changes.html", "_participant_menu.html", "_change_details.html"]
    found: set[str] = set()
    for path in sources + [PACKAGE / "web" / "templates" / name for name in templates]:
        method, options = ("python", {}) if path.suffix == ".py" else ("jinja2", {"extensions": "jinja2.ext.i18n"})
        for _, message, _, _ in extract_from_file(method, str(path), keywords={"N_": None, "_": None}, options=options):
            if isinstance(message, str):
                found.add(message)
    with (PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert "Participant overview" in found
    assert found - translated == set()
