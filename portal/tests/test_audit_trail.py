"""The audit log: every change to a participant or an account says who, when, through which channel and with what outcome."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.server import DEMO_PASSWORD, SECRETS, Portal
from tests.test_web import browser, csrf_of, log_in


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


def assert_about(row: dict, username: str, channel: str = "portal") -> None:
    """The event says who, through which channel and when (just now)."""
    assert row["actor_username"] == username and row["actor_user_id"] is not None and row["employer_id"] is not None
    assert row["channel"] == channel
    assert abs(datetime.fromisoformat(row["at"]).replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)


def assert_no_secrets(rows: list[dict], *secrets: str) -> None:
    stored = json.dumps(rows)
    for secret in (DEMO_PASSWORD, *secrets):
        assert secret not in stored


def test_settings_details_enrolment_and_logout_through_the_api_are_audited(fresh_portal: Portal) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    headers = fresh_portal.headers("demo.hr")
    email = "p.jansen.nieuw@voorbeeld.example"
    with fresh_portal.client() as client:
        mfa_token = client.post("/api/auth/login", json={"username": "demo.hr", "password": DEMO_PASSWORD}).json()["mfa_token"]
        enrolment = client.post("/api/auth/totp-enrolment", json={"mfa_token": mfa_token})
        settings = client.patch("/api/me", json={"language": "en", "theme": "dark"}, headers=headers)
        unchanged = client.patch("/api/me", json={}, headers=headers)
        by_chat = client.patch("/api/me", json={"theme": "light"}, headers=chat_headers(fresh_portal, "demo.hr"))
        details = client.patch("/api/profile/me", json={"full_name": "Piet Jansen", "email": email}, headers=headers)
        logout = client.post("/api/auth/logout", headers=headers)
    assert enrolment.status_code == settings.status_code == unchanged.status_code == by_chat.status_code == 200
    assert details.status_code == 200 and logout.status_code == 204
    rows = [r for r in audit_rows(fresh_portal, since) if r["action"] not in ("login", "chat_token")]
    assert [(r["action"], r["outcome"], r["channel"]) for r in rows] == [
        ("totp_enrolment", "secret_shown", "portal"),
        ("settings_changed", "accepted", "portal"),  # the empty PATCH changed nothing: no event
        ("settings_changed", "accepted", "chat"),
        ("contact_details_changed", "accepted", "portal"),
        ("logout", "success", "portal"),
    ]
    enrolled, in_english, by_chat_row, changed, logged_out = rows
    for row in rows:
        assert_about(row, "demo.hr", row["channel"])
    assert json.loads(enrolled["detail"]) == {"new_secret": False}
    assert json.loads(in_english["detail"]) == {"language": "en", "theme": "dark"}
    assert json.loads(by_chat_row["detail"]) == {"theme": "light"}
    # Which details changed, not their values.
    assert json.loads(changed["detail"]) == {"fields": ["email", "full_name"]}
    assert_no_secrets(rows, SECRETS["demo.hr"], enrolment.json()["otpauth_uri"], email, headers["Authorization"][7:])


def test_enrolment_settings_and_logout_on_the_pages_are_audited(fresh_portal: Portal) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    with browser(fresh_portal) as web:
        home = log_in(web, fresh_portal, "demo.finance")  # the first login on the pages: QR enrolment
        session_cookie = web.cookies["portal_session"]
        web.post("/language", data={"csrf": csrf_of(home), "language": "en", "next": "/"})
        web.post("/theme", data={"csrf": csrf_of(home), "theme": "dark", "next": "/"})
        out = web.post("/logout", data={"csrf": csrf_of(home)})
    assert out.status_code == 303
    rows = [r for r in audit_rows(fresh_portal, since) if r["action"] != "login" or r["outcome"] != "success"]
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("totp_enrolment", "secret_shown"),
        ("totp_enrolment", "confirmed"),
        ("settings_changed", "accepted"),
        ("settings_changed", "accepted"),
        ("logout", "success"),
    ]
    for row in rows:
        assert_about(row, "demo.finance")
    assert [json.loads(r["detail"]) for r in rows[2:4]] == [{"language": "en"}, {"theme": "dark"}]
    assert_no_secrets(rows, SECRETS["demo.finance"], session_cookie)
