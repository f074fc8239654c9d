"""The audit log: every change to a participant says who, when, through which channel and with what outcome."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.server import Portal


def audit_rows(portal: Portal, since: datetime) -> list[dict]:
    with sqlite3.connect(portal.database) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM audit_event WHERE at >= ? ORDER BY id", (since.replace(tzinfo=None).isoformat(" "),))
        return [dict(row) for row in rows]


def chat_headers(portal: Portal, username: str) -> dict[str, str]:
    with portal.client() as client:
        token = client.post("/api/chat/token", headers=portal.headers(username)).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("channel", ["portal", "chat"])
def test_accepted_and_refused_changes_are_audited_with_who_when_channel_and_outcome(
    portal: Portal, today: date, active_number: str, channel: str
) -> None:
    headers = portal.headers("demo.hr") if channel == "portal" else chat_headers(portal, "demo.hr")
    since = datetime.now(UTC) - timedelta(seconds=1)
    with portal.client() as client:
        accepted = client.post(f"/api/participants/{active_number}/salary-change",
                               json={"effective_date": today.isoformat(), "salary": "51234.00"}, headers=headers)
        # A slaper cannot be changed (R5): refused by a rule.
        refused = client.post("/api/participants/2001684/salary-change",
                              json={"effective_date": today.isoformat(), "salary": "51234.00"}, headers=headers)
        dry_run = client.post(f"/api/participants/{active_number}/salary-change", params={"dry_run": "true"},
                              json={"effective_date": today.isoformat(), "salary": "52000.00"}, headers=headers)
    assert accepted.status_code == 201 and refused.status_code == 422 and dry_run.status_code == 200
    rows = [r for r in audit_rows(portal, since) if r["action"] == "salary_change" and r["channel"] == channel]
    by_target = {(r["target"], r["outcome"]): r for r in rows}
    ok = by_target[(active_number, "accepted")]
    no = by_target[("2001684", "refused")]
    for row in (ok, no):
        assert row["actor_username"] == "demo.hr" and row["actor_user_id"] is not None
        assert row["channel"] == channel
        assert abs(datetime.fromisoformat(row["at"]).replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)
    assert str(accepted.json()["id"]) in ok["detail"]
    assert "participant_dormant" in no["detail"]
    # A dry run changes nothing, so it is no audited change.
    assert len(rows) == 2
