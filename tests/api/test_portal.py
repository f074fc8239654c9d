"""The actions' portal client against a real portal: the user's token, language, and failures."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from actions.api import portal as portal_api
from actions.api.portal import PortalClient, PortalUnavailableError
from actions.settings import Settings
from tests.conftest import free_port


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Runs one call on a fresh event loop and a fresh connection pool."""
    portal_api._client = None  # the pool belongs to the loop that made it
    return asyncio.run(coroutine)


@pytest.fixture
def client(portal: object, monkeypatch: pytest.MonkeyPatch) -> PortalClient:
    monkeypatch.setattr(portal_api, "SETTINGS", Settings(portal.url, 5.0))
    with portal.client() as http:
        token = http.post("/api/chat/token", headers=portal.headers("demo.hr")).json()["token"]
    return PortalClient(token, "en")


def test_finds_participants_by_name_with_the_users_token(client: PortalClient) -> None:
    answer = run(client.find_participants("Jansen"))
    assert answer.ok
    assert {row["number"] for row in answer.body["items"]} == {"2001682", "2001683"}


def test_another_employers_participant_is_not_found(client: PortalClient) -> None:
    assert run(client.participant("3000001")).status == 404


def test_a_dry_run_returns_the_portals_problems_in_the_users_language(client: PortalClient) -> None:
    answer = run(client.submit("termination", "2001684", {"effective_date": "2026-12-01"}, dry_run=True))
    assert answer.status == 422
    (problem,) = answer.problems
    assert problem.code == "participant_dormant" and "dormant" in problem.message
    assert answer.problems_for("participant") == [problem]


def test_an_unreachable_portal_raises_portal_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal_api, "SETTINGS", Settings(f"http://127.0.0.1:{free_port()}", 1.0))
    with pytest.raises(PortalUnavailableError):
        run(PortalClient("token", "nl").me())
