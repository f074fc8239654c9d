"""Submitted changes (R12, §4.5): the latest change per participant by effective date."""

from __future__ import annotations

from datetime import date

from tests.server import Portal

EXAMPLE = "2001687"  # carries the manual's §4.5 history


def _changes(portal: Portal) -> dict[str, dict]:
    with portal.client() as client:
        rows = client.get("/api/changes/individual", headers=portal.headers("demo.hr")).json()
    return {row["participant"]: row for row in rows}


def _detail(portal: Portal, number: str) -> dict:
    with portal.client() as client:
        return client.get(f"/api/participants/{number}", headers=portal.headers("demo.hr")).json()


def test_the_manuals_example_shows_the_latest_change_by_effective_date(portal: Portal) -> None:
    # Requested on 10 October 2023 with effect from 1 June 2023: the list shows the intermediary
    # change of 1 August 2023, not the salary change that was requested last.
    shown = _changes(portal)[EXAMPLE]
    assert (shown["type"], shown["effective_date"], shown["requested_at"][:10]) == (
        "intermediary_change", "2023-08-01", "2023-08-02",
    )
    history = _detail(portal, EXAMPLE)["changes"]
    assert [(c["type"], c["effective_date"], c["requested_at"][:10]) for c in history] == [
        ("salary_change", "2023-06-01", "2023-10-10"),
        ("intermediary_change", "2023-08-01", "2023-08-02"),
        ("new_participation", "2023-01-01", "2023-01-04"),
    ]
    assert _detail(portal, EXAMPLE)["fulltime_salary"] == "47500.00"


def test_a_retroactive_change_is_applied_before_the_later_ones(portal: Portal, today: date) -> None:
    with portal.client() as client:
        headers = portal.headers("demo.hr")
        retro = client.post(f"/api/participants/{EXAMPLE}/salary-change",
                            json={"effective_date": "2023-05-01", "salary": "46000"}, headers=headers)
        assert retro.status_code == 201
        # the June change still comes after it, so the current salary stays that of June
        assert _detail(portal, EXAMPLE)["fulltime_salary"] == "47500.00"
        assert _changes(portal)[EXAMPLE]["type"] == "intermediary_change"
        current = client.post(f"/api/participants/{EXAMPLE}/salary-change",
                              json={"effective_date": today.isoformat(), "salary": "49000"}, headers=headers)
        assert current.status_code == 201
    assert _changes(portal)[EXAMPLE]["id"] == current.json()["id"]
    assert _detail(portal, EXAMPLE)["fulltime_salary"] == "49000.00"


def test_changes_made_outside_the_portal_are_listed(portal: Portal) -> None:
    channels = {row["channel"] for row in _changes(portal).values()}
    assert "external" in channels
