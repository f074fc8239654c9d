"""Fixtures: a real portal process with a real, freshly seeded SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.server import Portal, running_portal


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """One portal for the session; tests change different participants so they do not meet."""
    with running_portal(tmp_path_factory.mktemp("portal")) as running:
        yield running


@pytest.fixture
def fresh_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal of its own, for tests that lock accounts or block an employer."""
    with running_portal(tmp_path_factory.mktemp("fresh")) as running:
        yield running


@pytest.fixture
def today() -> date:
    """Today as the portal sees it (Europe/Amsterdam)."""
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


@pytest.fixture(scope="session")
def _active_pool(portal: Portal) -> list[str]:
    """Active generated participants (not the contract's six, not the §4.5 example), for tests that change one."""
    numbers: list[str] = []
    with portal.client() as client:
        page = 1
        while True:
            body = client.get(
                "/api/participants", params={"page": page, "page_size": 200, "sort": "number"}, headers=portal.headers("demo.hr")
            ).json()
            numbers += [
                p["number"]
                for p in body["items"]
                if p["status"] == "active" and p["number"] > "2001690" and p["date_in_service"] < "2025-01-01"
            ]
            if page * 200 >= body["total"]:
                return numbers
            page += 1


@pytest.fixture
def active_number(_active_pool: list[str]) -> str:
    """A participant no other test changes: active, in service since before 2025."""
    return _active_pool.pop()
