"""Contact details (§6, R14): my details (name, e-mail), my company (postal address and contact person only), my advisor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server import Portal

COMPANY = "/api/profile/company"


def _call(portal: Portal, method: str, path: str, user: str, body: dict | None = None, language: str = "nl"):
    with portal.client(language) as client:
        return client.request(method, path, json=body, headers=portal.headers(user))


@pytest.fixture
def company_restored(portal: Portal) -> Iterator[dict]:
    """The company's details before the test, put back afterwards (other tests read them)."""
    original = _call(portal, "GET", COMPANY, "demo.um").json()
    yield original
    editable = {name: original[name] for name in original["editable"]}
    assert _call(portal, "PATCH", COMPANY, "demo.um", editable).status_code == 200


@pytest.mark.parametrize("user", ["demo.um", "demo.hr", "demo.finance", "demo.hrfin"])
def test_every_employer_role_sees_its_contact_details(portal: Portal, user: str) -> None:
    me = _call(portal, "GET", "/api/profile/me", user)
    company = _call(portal, "GET", COMPANY, user)
    advisor = _call(portal, "GET", "/api/profile/advisor", user)
    assert me.status_code == company.status_code == advisor.status_code == 200
    assert me.json()["username"] == user
    assert company.json()["name"] == "Voorbeeld Techniek B.V." and company.json()["chamber_of_commerce_number"] == "59395435"
    assert company.json()["editable"] == ["postal_street", "postal_postcode", "postal_city", "contact_name",
                                          "contact_email", "contact_phone"]
    assert advisor.json() == {"name": "Mark Hendriks", "firm": "Hendriks Pensioenadvies B.V.",
                              "email": "advies@hendriks-pensioen.example", "phone": "020 765 43 21"}


def test_the_service_desk_has_no_company(portal: Portal) -> None:
    assert _call(portal, "GET", COMPANY, "desk.agent").status_code == 403
    assert _call(portal, "PATCH", "/api/profile/me", "desk.agent", {"full_name": "X"}).status_code == 403


def test_a_user_changes_their_name_and_e_mail(portal: Portal) -> None:
    before = _call(portal, "GET", "/api/profile/me", "demo.hrfin").json()
    changed = _call(portal, "PATCH", "/api/profile/me", "demo.hrfin",
                    {"full_name": "  Hester   Franssen-de Wit ", "email": "H.Franssen@Voorbeeld.example"})
    with portal.client() as client:
        me = client.get("/api/me", headers=portal.headers("demo.hrfin")).json()
    _call(portal, "PATCH", "/api/profile/me", "demo.hrfin", {"full_name": before["full_name"], "email": before["email"]})
    assert changed.status_code == 200, changed.text
    assert (me["full_name"], me["email"]) == ("Hester Franssen-de Wit", "h.franssen@voorbeeld.example")


def test_another_accounts_e_mail_and_a_bad_one_are_refused(portal: Portal) -> None:
    taken_by = _call(portal, "GET", "/api/profile/me", "demo.um").json()["email"]
    taken = _call(portal, "PATCH", "/api/profile/me", "demo.finance", {"email": taken_by.upper()})
    bad = _call(portal, "PATCH", "/api/profile/me", "demo.finance", {"email": "not-an-address"}, language="en")
    assert taken.status_code == 422 and taken.json()["errors"][0]["code"] == "email_taken"
    assert bad.status_code == 422
    assert bad.json()["errors"][0] == {"code": "invalid_email", "field": "email", "message": "Enter a valid e-mail address."}


def test_username_and_roles_cannot_be_changed(portal: Portal) -> None:
    response = _call(portal, "PATCH", "/api/profile/me", "demo.hr", {"full_name": "Someone Else", "username": "boss",
                                                                     "roles": ["user_management"]})
    me = _call(portal, "GET", "/api/profile/me", "demo.hr").json()
    assert response.status_code == 422
    assert {(e["code"], e["field"]) for e in response.json()["errors"]} == {("read_only_field", "roles"),
                                                                             ("read_only_field", "username")}
    assert (me["full_name"], me["roles"]) == ("Hanna Rietveld", ["hr"])


def test_finance_changes_the_postal_address_and_the_contact_person(portal: Portal, company_restored: dict) -> None:
    body = {"postal_street": "Postbus 2020", "postal_postcode": "3500gh", "postal_city": "Utrecht",
            "contact_name": "Joris Vermeer", "contact_email": "joris@voorbeeld.example", "contact_phone": "+31 30 765 43 21"}
    response = _call(portal, "PATCH", COMPANY, "demo.finance", body)
    seen_by_hr = _call(portal, "GET", COMPANY, "demo.hr").json()
    assert response.status_code == 200, response.text
    assert seen_by_hr["postal_postcode"] == "3500 GH" and seen_by_hr["contact_name"] == "Joris Vermeer"
    assert seen_by_hr["name"] == company_restored["name"]


@pytest.mark.parametrize("field,value", [
    ("name", "Andere Naam B.V."),
    ("chamber_of_commerce_number", "12345678"),
    ("advisor_name", "Iemand Anders"),
    ("advisor_email", "nieuw@advies.example"),
])
def test_company_details_beyond_address_and_contact_person_are_refused(
    portal: Portal, company_restored: dict, field: str, value: str
) -> None:
    response = _call(portal, "PATCH", COMPANY, "demo.um", {field: value, "postal_city": "Amersfoort"}, language="en")
    after = _call(portal, "GET", COMPANY, "demo.um").json()
    advisor = _call(portal, "GET", "/api/profile/advisor", "demo.um").json()
    assert response.status_code == 422
    problem = response.json()["errors"][0]
    assert (problem["code"], problem["field"]) == ("read_only_field", field)
    assert "contact us" in problem["message"]
    # Nothing of the request is applied, not even the editable part.
    assert after["postal_city"] == company_restored["postal_city"]
    assert advisor["name"] == "Mark Hendriks" and after["name"] == "Voorbeeld Techniek B.V."


@pytest.mark.parametrize("body,code,field", [
    ({"postal_postcode": "ABCD 12"}, "invalid_postcode", "postal_postcode"),
    ({"contact_phone": "call me"}, "invalid_phone", "contact_phone"),
    ({"contact_name": "   "}, "required", "contact_name"),
    ({"contact_email": "joris@"}, "invalid_email", "contact_email"),
])
def test_company_values_are_checked(portal: Portal, body: dict, code: str, field: str) -> None:
    response = _call(portal, "PATCH", COMPANY, "demo.hr", body)
    assert response.status_code == 422
    assert (response.json()["errors"][0]["code"], response.json()["errors"][0]["field"]) == (code, field)
