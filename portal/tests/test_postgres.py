"""The portal on PostgreSQL (DATABASE_URL): migrations, seed, search and mutations on a real server."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from portal.dates import add_months
from tests.server import Portal, free_port, running_portal
from tests.test_auth import assert_locked, wrong_passwords_in_parallel
from tests.test_concurrency import simultaneous_salary_changes


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]), None)
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is missing; `make install` installs the postgresql package.")
    return found


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the Debian package provides the postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free port, with an empty database `portal`."""
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    data = Path(tempfile.mkdtemp(prefix="wgp-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
    port = free_port()
    subprocess.run(_as_server_user([_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "portal", "-E", "UTF8"]),
                   check=True, capture_output=True)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "portal", "portal"], check=True)
        yield f"postgresql://portal@127.0.0.1:{port}/portal"
    finally:
        subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_portal(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The portal with DATABASE_URL pointing at PostgreSQL."""
    with running_portal(tmp_path_factory.mktemp("pgportal"), {"DATABASE_URL": postgres_url}) as running:
        yield running


def test_the_portal_runs_on_postgresql(pg_portal: Portal, today: date) -> None:
    assert not Path(pg_portal.database).exists(), "expected no SQLite file when DATABASE_URL is set"
    with pg_portal.client() as client:
        headers = pg_portal.headers("demo.hr")
        listing = client.get("/api/participants", params={"q": "ter Assob"}, headers=headers).json()
        assert [p["fulltime_salary"] for p in listing["items"]] == ["52242.28"]
        assert client.get("/api/participants", headers=headers).json()["total"] >= 250
        body = {"effective_date": add_months(today, 1).isoformat()}
        first = client.post("/api/participants/2001683/termination", json=body, headers={**headers, "Idempotency-Key": "pg-1"})
        again = client.post("/api/participants/2001683/termination", json=body, headers={**headers, "Idempotency-Key": "pg-1"})
        dormant = client.post("/api/participants/2001684/termination", json=body, headers=headers)
        shown = {c["participant"]: c for c in client.get("/api/changes/individual", headers=headers).json()}
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert dormant.status_code == 422 and "slaper" in dormant.json()["errors"][0]["message"]
    assert shown["2001687"]["type"] == "intermediary_change"


def test_handoffs_on_postgresql(pg_portal: Portal) -> None:
    # The partial unique index (one open handoff per conversation) and the conditional resolve, on PostgreSQL.
    body = {
        "conversation_id": "pg-conversation",
        "channel": "portal",
        "reason": "user_request",
        "language": "nl",
        "transcript": [{"sender": "user", "text": "BSN 987654317, graag een medewerker", "timestamp": "2026-01-05T09:00:00Z"}],
    }
    desk = pg_portal.headers("desk.agent")
    with pg_portal.client() as client:
        first = client.post("/api/handoffs", json=body, headers=pg_portal.headers("demo.finance"))
        again = client.post("/api/handoffs", json=body, headers=pg_portal.headers("demo.finance"))
        url = f"/api/handoffs/{first.json()['id']}/resolve"
        resolved = client.post(url, json={"note": "Gebeld."}, headers=desk)
        twice = client.post(url, json={"note": "Nog eens."}, headers=desk)
        reopened = client.post("/api/handoffs", json=body, headers=pg_portal.headers("demo.finance"))
    assert (first.status_code, again.status_code, resolved.status_code, twice.status_code) == (201, 200, 200, 409)
    assert first.json()["transcript"][0]["text"] == "BSN *****4317, graag een medewerker"
    assert again.json()["id"] == first.json()["id"]
    assert reopened.status_code == 201 and reopened.json()["id"] != first.json()["id"]


def test_init_db_on_a_seeded_postgresql_leaves_the_data_alone(pg_portal: Portal) -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "portal"), "init-db"],
                            env=pg_portal.env, capture_output=True, text=True, check=True)
    assert "already seeded" in result.stdout


def test_many_generated_participants_and_their_search_on_postgresql(pg_portal: Portal, postgres_url: str) -> None:
    # Bulk inserts with RETURNING, the name-word upsert and the broad-search plan, on PostgreSQL (issue 7).
    subprocess.run([str(Path(sys.executable).parent / "portal"), "seed-participants", "3000"],
                   env=pg_portal.env, capture_output=True, text=True, check=True)
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        expected = {term: connection.execute(text(
            "SELECT count(*) FROM participant WHERE employer_id = 1 AND search_text LIKE :pattern"),
            {"pattern": f"%{term}%"}).scalar_one() for term in ("e", "jong")}
        (bsn,) = connection.execute(text("SELECT bsn FROM participant WHERE number = '2003000'")).one()
    engine.dispose()
    assert expected["e"] > 2000  # broad enough for the plan that walks the name index
    with pg_portal.client() as client:
        headers = pg_portal.headers("demo.hr")
        for term, count in expected.items():
            found = client.get("/api/participants", params={"q": term, "page_size": 6}, headers=headers).json()
            assert found["total"] == count and len(found["items"]) == 6
        by_bsn = client.get("/api/participants", params={"q": bsn}, headers=headers).json()
    assert [p["number"] for p in by_bsn["items"]] == ["2003000"]


def test_two_users_changing_one_participant_at_once_lose_nothing_on_postgresql(pg_portal: Portal, today: date) -> None:
    """On PostgreSQL two transactions really run side by side (READ COMMITTED): the participant's row is locked."""
    simultaneous_salary_changes(pg_portal, "2001682", today)


def test_wrong_passwords_sent_in_parallel_all_count_on_postgresql(pg_portal: Portal, postgres_url: str) -> None:
    """The failure count is one UPDATE in the database; on PostgreSQL eight at once count eight, known user or not."""
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        for username in ("demo.hrfin", "nobody.on.postgresql"):
            statuses = wrong_passwords_in_parallel(pg_portal, username, 8)
            assert set(statuses) <= {401, 429}, (username, statuses)
            assert_locked(pg_portal, username)
            with engine.connect() as connection:
                failures = connection.execute(text("SELECT failures FROM login_throttle WHERE username = :u"),
                                              {"u": username}).scalar_one()
            # Five locked the account; every other try that got past the lock check counts towards the next lock.
            assert failures == statuses.count(401) - 5, (username, statuses)
    finally:
        engine.dispose()
