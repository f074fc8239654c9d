"""Documents (§5, R13): financial ones for Finance and User Management only, real PDFs, one unread mark for all."""

from __future__ import annotations

import pytest

from tests.server import Portal

FINANCIAL_KINDS = {"invoice", "booking_overview", "reminder"}
LEGAL_KINDS = {"regulations", "agreement", "addendum"}


def _list(portal: Portal, category: str, user: str, language: str = "nl", **params: object):
    with portal.client(language) as client:
        return client.get(f"/api/documents/{category}", params=params, headers=portal.headers(user))


def _download(portal: Portal, document_id: int, user: str):
    with portal.client() as client:
        return client.get(f"/api/documents/{document_id}/file", headers=portal.headers(user))


def _documents(groups: list[dict]) -> dict[int, dict]:
    return {doc["id"]: {**doc, "scheme": group["scheme"]} for group in groups for doc in group["documents"]}


@pytest.mark.parametrize("user", ["demo.finance", "demo.um", "demo.hrfin"])
def test_finance_and_user_management_see_the_financial_documents_per_scheme(portal: Portal, user: str) -> None:
    response = _list(portal, "financial", user)
    assert response.status_code == 200, response.text
    groups = response.json()
    assert [g["scheme"] for g in groups] == [1, 2]
    kinds = {doc["kind"] for g in groups for doc in g["documents"]}
    assert kinds == FINANCIAL_KINDS
    assert all(doc["category"] == "financial" for g in groups for doc in g["documents"])


def test_hr_sees_no_financial_documents_but_the_legal_ones(portal: Portal) -> None:
    financial = _list(portal, "financial", "demo.hr")
    legal = _list(portal, "legal", "demo.hr")
    invoice = next(iter(_documents(_list(portal, "financial", "demo.finance").json())))
    opened = _download(portal, invoice, "demo.hr")
    assert financial.status_code == opened.status_code == 403
    assert legal.status_code == 200
    assert {doc["kind"] for doc in _documents(legal.json()).values()} == LEGAL_KINDS


def test_a_document_is_a_real_pdf_sent_as_an_attachment(portal: Portal) -> None:
    regulations = next(d for d in _documents(_list(portal, "legal", "demo.um").json()).values() if d["kind"] == "regulations")
    response = _download(portal, regulations["id"], "demo.um")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert regulations["filename"] in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")
    assert len(response.content) == regulations["size"]


def test_titles_follow_the_language(portal: Portal) -> None:
    dutch = {d["kind"]: d["title"] for d in _documents(_list(portal, "legal", "demo.hr", "nl").json()).values()}
    english = {d["kind"]: d["title"] for d in _documents(_list(portal, "legal", "demo.hr", "en").json()).values()}
    assert (dutch["regulations"], english["regulations"]) == ("Pensioenreglement", "Pension regulations")
    assert (dutch["agreement"], english["agreement"]) == ("Uitvoeringsovereenkomst", "Execution agreement")


def test_the_unread_mark_disappears_for_every_user_once_one_opens_the_document(portal: Portal) -> None:
    # An addendum of scheme 2: no other test opens it.
    before = _list(portal, "legal", "demo.hr", scheme=2).json()
    addendum = next(d for d in before[0]["documents"] if d["kind"] == "addendum")
    assert addendum["unread"] is True
    assert _documents(_list(portal, "legal", "demo.finance", scheme=2).json())[addendum["id"]]["unread"] is True

    assert _download(portal, addendum["id"], "demo.finance").status_code == 200

    for user in ("demo.hr", "demo.um", "demo.hrfin", "demo.finance"):
        after = _list(portal, "legal", user, scheme=2).json()
        seen = _documents(after)[addendum["id"]]
        assert seen["unread"] is False and seen["opened_at"], user
        assert after[0]["unread"] == before[0]["unread"] - 1, user
    # The mark is per scheme: scheme 1's addendum is still unread.
    scheme_1 = _list(portal, "legal", "demo.hr", scheme=1).json()[0]
    assert next(d for d in scheme_1["documents"] if d["kind"] == "addendum")["unread"] is True


def test_another_employer_sees_only_its_own_documents(portal: Portal) -> None:
    ours = _documents(_list(portal, "legal", "demo.hr").json())
    theirs = _documents(_list(portal, "legal", "other.hr").json())
    assert theirs and not set(theirs) & set(ours)
    missing = _download(portal, next(iter(ours)), "other.hr")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "not_found"
    # Opening is refused before anything is marked: our document stays unread for us.
    assert _documents(_list(portal, "legal", "demo.hr").json())[next(iter(ours))]["unread"] == ours[next(iter(ours))]["unread"]


def test_the_service_desk_has_no_employer_documents(portal: Portal) -> None:
    assert _list(portal, "legal", "desk.agent").status_code == 403
    assert _download(portal, 1, "desk.agent").status_code == 403
