"""Individual mutations (§4.2): the rules R5–R7, the three-month limit, the collective lock, idempotency."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, timedelta

import pytest

from portal.dates import add_months
from tests.server import Portal


def _post(portal: Portal, number: str, kind: str, body: dict, *, user: str = "demo.hr", language: str | None = None,
          dry_run: bool = False, key: str | None = None):
    headers = portal.headers(user)
    if key:
        headers["Idempotency-Key"] = key
    with portal.client(language) as client:
        return client.post(f"/api/participants/{number}/{kind}", params={"dry_run": "true"} if dry_run else None,
                           json=body, headers=headers)


def _codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def _detail(portal: Portal, number: str) -> dict:
    with portal.client() as client:
        return client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()


# R5 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,body", [
    ("termination", {"effective_date": "{next_month}"}),
    ("salary-change", {"effective_date": "{next_month}", "salary": "50000"}),
    ("family-members", {"relation": "child", "first_name": "Tim", "last_name": "Vries", "infix": "de",
                        "birth_date": "2021-01-01", "bsn": "123456782"}),
])
def test_a_dormant_participant_cannot_be_changed(portal: Portal, today: date, kind: str, body: dict) -> None:
    next_month = add_months(today, 1).isoformat()
    body = {k: v.format(next_month=next_month) for k, v in body.items()}
    dutch = _post(portal, "2001684", kind, body)
    english = _post(portal, "2001684", kind, body, language="en")
    assert dutch.status_code == english.status_code == 422
    assert _codes(dutch) == ["participant_dormant"]
    assert "slaper" in dutch.json()["errors"][0]["message"]
    assert "Geen" in dutch.json()["errors"][0]["message"] or "geen" in dutch.json()["errors"][0]["message"]
    assert "No changes are possible" in english.json()["errors"][0]["message"]


# R6 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,extra", [("termination", {}), ("salary-change", {"salary": "51000"})])
def test_effective_date_at_most_three_months_ahead(portal: Portal, today: date, active_number: str, kind: str, extra: dict) -> None:
    limit = add_months(today, 3)
    on_limit = _post(portal, active_number, kind, {"effective_date": limit.isoformat(), **extra}, dry_run=True)
    past_limit = _post(portal, active_number, kind, {"effective_date": (limit + timedelta(days=1)).isoformat(), **extra},
                       language="en")
    assert on_limit.status_code == 200, on_limit.text
    assert past_limit.status_code == 422
    assert _codes(past_limit) == ["effective_date_too_late"]
    assert limit.strftime("%B") in past_limit.json()["errors"][0]["message"]
    assert str(limit.year) in past_limit.json()["errors"][0]["message"]


def test_three_months_ahead_is_clamped_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 8, 31), -3) == date(2026, 5, 31)


def test_effective_date_not_before_the_date_in_service(portal: Portal) -> None:
    response = _post(portal, "2001683", "salary-change", {"effective_date": "2021-09-14", "salary": "45000"})
    assert response.status_code == 422
    assert _codes(response) == ["effective_date_before_service"]
    assert "15 september 2021" in response.json()["errors"][0]["message"]


def test_an_unreadable_date_is_explained(portal: Portal) -> None:
    response = _post(portal, "2001683", "termination", {"effective_date": "31-02-2027"}, language="en")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "effective_date"
    assert "valid date" in response.json()["errors"][0]["message"]


# Salary and part-time ------------------------------------------------------------------------------

@pytest.mark.parametrize("body,code", [
    ({}, "nothing_to_change"),
    ({"salary": "0"}, "invalid_salary"),
    ({"salary": "-5"}, "invalid_salary"),
    ({"salary": "50000.123"}, "invalid_salary"),
    ({"parttime_percentage": "0"}, "invalid_parttime_percentage"),
    ({"parttime_percentage": "100.5"}, "invalid_parttime_percentage"),
    ({"salary": "veel"}, "invalid_number"),
])
def test_salary_change_values_are_checked(portal: Portal, today: date, body: dict, code: str) -> None:
    response = _post(portal, "2001683", "salary-change", {"effective_date": today.isoformat(), **body}, dry_run=True)
    assert response.status_code == 422
    assert code in _codes(response)


def test_a_salary_change_as_of_today_shows_in_the_overview(portal: Portal, today: date, active_number: str) -> None:
    response = _post(portal, active_number, "salary-change",
                     {"effective_date": today.isoformat(), "salary": "58000", "parttime_percentage": "80"})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "processed"
    detail = _detail(portal, active_number)
    assert (detail["fulltime_salary"], detail["parttime_percentage"]) == ("58000.00", "80.000")


def test_a_future_salary_change_waits_for_its_date(portal: Portal, today: date, active_number: str) -> None:
    before = _detail(portal, active_number)
    response = _post(portal, active_number, "salary-change",
                     {"effective_date": add_months(today, 2).isoformat(), "salary": "99999.99"})
    assert response.status_code == 201
    assert response.json()["status"] == "received"
    assert _detail(portal, active_number)["fulltime_salary"] == before["fulltime_salary"]


def test_a_dry_run_records_nothing(portal: Portal, today: date, active_number: str) -> None:
    before = _detail(portal, active_number)
    response = _post(portal, active_number, "salary-change", {"effective_date": today.isoformat(), "salary": "77777"},
                     dry_run=True)
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["id"] is None
    after = _detail(portal, active_number)
    assert after["fulltime_salary"] == before["fulltime_salary"]
    assert after["changes"] == before["changes"]


# Termination and idempotency -----------------------------------------------------------------------

def test_termination_accepted_once_and_same_key_gives_the_same_mutation(portal: Portal, today: date, active_number: str) -> None:
    body = {"effective_date": add_months(today, 1).isoformat()}
    first = _post(portal, active_number, "termination", body, key="term-key-1")
    again = _post(portal, active_number, "termination", body, key="term-key-1")
    without_key = _post(portal, active_number, "termination", body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert without_key.status_code == 422
    assert _codes(without_key) == ["termination_exists"]
    terminations = [c for c in _detail(portal, active_number)["changes"] if c["type"] == "termination"]
    assert len(terminations) == 1


def test_a_reused_key_with_another_request_is_refused(portal: Portal, today: date, active_number: str) -> None:
    first = _post(portal, active_number, "salary-change", {"effective_date": today.isoformat(), "salary": "50001"}, key="k-2")
    other = _post(portal, active_number, "salary-change", {"effective_date": today.isoformat(), "salary": "60001"}, key="k-2")
    assert first.status_code == 201
    assert other.status_code == 422
    assert _codes(other) == ["idempotency_key_reused"]
    assert _detail(portal, active_number)["fulltime_salary"] == "50001.00"


def test_concurrent_requests_with_one_key_make_one_mutation(portal: Portal, today: date, active_number: str) -> None:
    body = {"effective_date": today.isoformat(), "parttime_percentage": "75"}
    portal.login("demo.hr")
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(_post(portal, active_number, "salary-change", body, key="same")))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    salary_changes = [c for c in _detail(portal, active_number)["changes"] if c["type"] == "salary_change"]
    assert len([c for c in salary_changes if c["effective_date"] == today.isoformat()]) == 1


# R7 -----------------------------------------------------------------------------------------------

CHILD = {"relation": "child", "first_name": "Lotte", "last_name": "Jansen", "birth_date": "2022-03-04"}


@pytest.mark.parametrize("bsn", ["000000000", "123456789", "12345678a", "1234", ""])
def test_a_family_member_needs_a_bsn_that_passes_the_elfproef(portal: Portal, bsn: str) -> None:
    response = _post(portal, "2001683", "family-members", {**CHILD, "bsn": bsn}, dry_run=True)
    assert response.status_code == 422
    assert _codes(response)[0] in {"invalid_bsn", "required"}
    assert response.json()["errors"][0]["field"] == "bsn"


def test_a_family_member_without_bsn_is_refused(portal: Portal) -> None:
    response = _post(portal, "2001683", "family-members", CHILD, dry_run=True)
    assert response.status_code == 422
    assert _codes(response) == ["required"]


def test_a_child_is_registered_with_its_bsn_masked_everywhere_but_its_own_record(portal: Portal, active_number: str) -> None:
    bsn = "111222333"
    response = _post(portal, active_number, "family-members", {**CHILD, "bsn": bsn})
    assert response.status_code == 201, response.text
    assert bsn not in response.text
    assert response.json()["payload"]["bsn_masked"] == "*****2333"
    detail = _detail(portal, active_number)
    assert [m["bsn_masked"] for m in detail["family_members"] if m["first_name"] == "Lotte"] == ["*****2333"]
    with sqlite3.connect(portal.database) as db:
        audit = " ".join(str(row) for row in db.execute("SELECT * FROM audit_event"))
        mutations = " ".join(str(row) for row in db.execute("SELECT * FROM mutation"))
    assert bsn not in audit and bsn not in mutations
    again = _post(portal, active_number, "family-members", {**CHILD, "first_name": "Tweeling", "bsn": bsn})
    assert _codes(again) == ["bsn_already_registered"]


def test_a_birth_date_in_the_future_is_refused(portal: Portal, today: date) -> None:
    response = _post(portal, "2001683", "family-members",
                     {**CHILD, "bsn": "123456782", "birth_date": (today + timedelta(days=1)).isoformat()}, dry_run=True)
    assert _codes(response) == ["birth_date_in_future"]


# The collective lock (R10) ------------------------------------------------------------------------

def test_individual_changes_wait_while_a_collective_change_is_processing(fresh_portal: Portal, today: date) -> None:
    # Collective uploads arrive with the next issue; until then the lock is set in the database.
    with sqlite3.connect(fresh_portal.database) as db:
        (employer_id,) = db.execute("SELECT id FROM employer WHERE name = 'Voorbeeld Techniek B.V.'").fetchone()
        db.execute(
            "INSERT INTO collective_change (employer_id, kind, status, effective_date, uploaded_at, filename, row_count)"
            " VALUES (?, 'salary', 'processing', ?, ?, 'salarissen.xlsx', 250)",
            (employer_id, today.isoformat(), f"{today.isoformat()} 09:00:00"),
        )
    body = {"effective_date": today.isoformat(), "salary": "50000"}
    locked = _post(fresh_portal, "2001683", "salary-change", body)
    other_employer = _post(fresh_portal, "3000001", "salary-change", body, user="other.hr", dry_run=True)
    assert locked.status_code == 409
    assert _codes(locked) == ["collective_change_processing"]
    assert "24 uur" in locked.json()["errors"][0]["message"]
    assert other_employer.status_code != 409
    with sqlite3.connect(fresh_portal.database) as db:
        db.execute("UPDATE collective_change SET status = 'processed'")
    assert _post(fresh_portal, "2001683", "salary-change", body).status_code == 201
