"""Two users confirming changes for the same participant at the same moment: both recorded, in order, none lost."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import httpx

from tests.server import Portal

ROUNDS = 8


def simultaneous_salary_changes(portal: Portal, number: str, today: date) -> None:
    """demo.hr and demo.um post a salary change for one participant at the same moment, ROUNDS times over.

    Every change must be recorded, and the participant's stored salary must be that of the change that
    counts last (effective date, then the moment it was requested): a lost update leaves another one.
    """
    users = ["demo.hr", "demo.um"]
    headers = {user: portal.headers(user) for user in users}
    start = threading.Barrier(len(users))

    def post(user: str, salary: str) -> httpx.Response:
        with portal.client() as client:
            start.wait()
            return client.post(f"/api/participants/{number}/salary-change",
                               json={"effective_date": today.isoformat(), "salary": salary}, headers=headers[user])

    sent = []
    with ThreadPoolExecutor(len(users)) as pool:
        for round_ in range(ROUNDS):
            salaries = {user: f"{60000 + round_ * 10 + i}.00" for i, user in enumerate(users)}
            futures = [pool.submit(post, user, salary) for user, salary in salaries.items()]
            responses = [future.result() for future in futures]
            assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
            sent += [r.json() for r in responses]

    with portal.client() as client:
        detail = client.get(f"/api/participants/{number}", headers=headers["demo.hr"]).json()
    recorded = {c["id"]: c for c in detail["changes"] if c["type"] == "salary_change"}
    assert {s["id"] for s in sent} <= set(recorded)
    ours = sorted((recorded[s["id"]] for s in sent), key=lambda c: (c["effective_date"], c["requested_at"], c["id"]))
    assert Decimal(detail["fulltime_salary"]) == Decimal(ours[-1]["payload"]["fulltime_salary"])


def test_two_users_changing_one_participant_at_once_lose_nothing(portal: Portal, today: date, active_number: str) -> None:
    simultaneous_salary_changes(portal, active_number, today)
