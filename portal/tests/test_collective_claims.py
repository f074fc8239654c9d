"""Collective changes with several portal processes on one database: a change is claimed by one worker only.

Each test runs two real portal processes (uvicorn) on one SQLite file and on one PostgreSQL database, as
`--workers 2` or two pods would, and counts what was applied in the database and who applied it in their logs.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.server import Portal, PortalServer, free_port, running_portal
from tests.test_collective import active_numbers, download_salary, filled, status, upload, wait_done
from tests.test_postgres import postgres_url  # noqa: F401 - the throw-away PostgreSQL cluster, as a fixture


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The portal's environment for a database of the test's own: SQLite, or a new database on the cluster."""
    if request.param == "sqlite":
        yield {}
        return
    cluster = request.getfixturevalue("postgres_url")
    name = f"claims_{uuid.uuid4().hex[:8]}"
    admin = create_engine(cluster.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield {"DATABASE_URL": f"{cluster.rsplit('/', 1)[0]}/{name}"}


def _engine_url(portal: Portal) -> str:
    url = portal.env.get("DATABASE_URL")
    return url.replace("postgresql://", "postgresql+psycopg://") if url else f"sqlite:///{portal.database}"


def query(portal: Portal, sql: str, **params: object) -> list[tuple]:
    """Rows straight from the portal's database (SQLite or PostgreSQL)."""
    engine = create_engine(_engine_url(portal))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def applied(portal: Portal, change_id: int) -> int:
    """The mutations the collective change made (each row of it makes one)."""
    payloads = query(portal, "SELECT payload FROM mutation WHERE channel = 'collective'")
    return sum(1 for (payload,) in payloads
               if (json.loads(payload) if isinstance(payload, str) else payload).get("collective_change") == change_id)


def processed_lines(log: Path, change_id: int, since: int = 0) -> int:
    """How often a portal's log (from byte `since` on) says it processed the change."""
    message = f"collective change {change_id} processed"
    lines = log.read_bytes()[since:].decode().splitlines()
    return sum(1 for line in lines if line.startswith("{") and json.loads(line)["message"] == message)


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def beside(portal: Portal, name: str) -> tuple[PortalServer, Portal]:
    """A second portal process on the same data (database, key files), and a client for it with the same logins."""
    server = PortalServer(portal.env, free_port(), portal.data_dir / f"{name}.log")
    return server, Portal(url=server.url, data_dir=portal.data_dir, env=portal.env, tokens=portal.tokens,
                          used_steps=portal.used_steps, server=server)


def salary_upload(portal: Portal, today: date, rows: int, salary: float) -> tuple[int, list[str]]:
    download = download_salary(portal, today).content
    numbers = active_numbers(download, rows)
    accepted = upload(portal, "salary", filled(download, {n: (salary, None) for n in numbers}), effective=today)
    assert accepted.status_code == 202, accepted.text
    return accepted.json()["id"], numbers


def test_two_portals_starting_at_once_apply_a_pending_change_once(database: dict[str, str], tmp_path: Path,
                                                                  today: date) -> None:
    """A change waiting while no portal runs; two processes start at the same moment: one applies it, once."""
    with running_portal(tmp_path, extra_env={**database, "PORTAL_COLLECTIVE_ROW_DELAY_SECONDS": "0.3"}) as first:
        second, _ = beside(first, "second")
        change_id, numbers = salary_upload(first, today, 6, 81818.0)
        wait_for(lambda: status(first, change_id)["status"] == "processing")
        first.server.stop()  # a clean stop hands the change back: nothing of it was applied
        assert query(first, "SELECT status, claimed_by FROM collective_change WHERE id = :id", id=change_id) == [
            ("received", None)]
        log_size = first.server.log_path.stat().st_size
        starting = [threading.Thread(target=server.start) for server in (first.server, second)]
        for thread in starting:
            thread.start()
        for thread in starting:
            thread.join()
        try:
            final, _ = wait_done(first, change_id)
            time.sleep(1)  # the other process has looked at it too
        finally:
            second.stop()
    assert final["status"] == "processed"
    assert applied(first, change_id) == len(numbers)
    assert processed_lines(first.server.log_path, change_id, log_size) + processed_lines(second.log_path, change_id) == 1


def test_a_portal_starting_while_another_processes_leaves_the_change_to_it(database: dict[str, str], tmp_path: Path,
                                                                          today: date) -> None:
    """Before, every start put every `processing` change back to `received`: a worker (re)starting while another
    checked a change made both apply it. Now the live worker's claim holds."""
    with running_portal(tmp_path, extra_env={**database, "PORTAL_COLLECTIVE_ROW_DELAY_SECONDS": "1"}) as first:
        second, _ = beside(first, "second")
        change_id, numbers = salary_upload(first, today, 12, 82828.0)
        wait_for(lambda: status(first, change_id)["status"] == "processing")
        try:
            second.start()  # its worker looks at the change as it starts
            during = status(first, change_id)
            final, _ = wait_done(first, change_id)
            time.sleep(1)
        finally:
            second.stop()
    assert during["status"] == "processing" and during["progress"] < len(numbers), during  # they overlapped
    assert final["status"] == "processed"
    assert applied(first, change_id) == len(numbers)
    assert processed_lines(first.server.log_path, change_id) == 1
    assert processed_lines(second.log_path, change_id) == 0


def test_a_killed_portals_change_is_taken_over_by_the_other_once(database: dict[str, str], tmp_path: Path,
                                                                today: date) -> None:
    """SIGKILL while applying: nothing of it stays; the other process, still running, takes the stale claim over
    (after the lease) and applies every row once."""
    from portal.collective.service import LEASE_SECONDS

    with running_portal(tmp_path, extra_env={**database, "PORTAL_COLLECTIVE_APPLY_ROW_DELAY_SECONDS": "0.5"}) as first:
        second, other = beside(first, "second")
        second.start()
        try:
            change_id, numbers = salary_upload(first, today, 6, 83838.0)
            wait_for(lambda: (s := status(first, change_id))["status"] == "processing" and s["progress"] == len(numbers))
            time.sleep(1.3)  # checked; two or three rows applied in the open transaction
            first.server.process.kill()
            first.server.process.wait()
            killed_at = time.monotonic()
            (owner,) = query(first, "SELECT claimed_by FROM collective_change WHERE id = :id", id=change_id)[0]
            assert applied(first, change_id) == 0
            final, _ = wait_done(other, change_id, timeout=90)
            taken_over_after = time.monotonic() - killed_at
        finally:
            second.stop()
    assert final["status"] == "processed"
    assert applied(first, change_id) == len(numbers)
    assert processed_lines(second.log_path, change_id) == 1
    assert owner is not None
    assert taken_over_after >= LEASE_SECONDS - 3  # not while the claim could still be a live worker's
