"""Strict checks on the Bot Framework token of every activity: anything not signed right is refused (401)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.channels.teams import TeamsInput, TeamsSettings
from tests.teams.conftest import TENANT_ID, TeamsAssistant
from tests.teams.microsoft import Microsoft, new_rsa_key

OTHER_KEY = new_rsa_key()


def spoiled_tokens(ms: Microsoft) -> dict[str, str]:
    """Tokens that Microsoft would never send to this bot for this activity."""
    hour_ago = int(time.time()) - 3600
    return {
        "wrong issuer": ms.sign(iss="https://sts.windows.net/attacker/"),
        "wrong audience": ms.sign(aud="another-bot-app-id"),
        "unknown key": ms.sign(key=OTHER_KEY, kid="not-a-microsoft-key"),
        "known key id, other key": ms.sign(key=OTHER_KEY),
        "HS256": ms.sign(key="a-shared-secret-nobody-should-accept", algorithm="HS256"),
        "none algorithm": ms.sign(key="", algorithm="none"),
        "expired": ms.sign(exp=hour_ago, iat=hour_ago - 3600, nbf=hour_ago - 3600),
        "missing exp": ms.sign(omit=("exp",)),
        "serviceUrl of another service": ms.sign(service_url="https://attacker.example/"),
        "missing serviceUrl": ms.sign(omit=("serviceUrl",)),
        "not a JWT": "not-a-token",
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong issuer",
        "wrong audience",
        "unknown key",
        "known key id, other key",
        "HS256",
        "none algorithm",
        "expired",
        "missing exp",
        "serviceUrl of another service",
        "missing serviceUrl",
        "not a JWT",
    ],
)
def test_a_spoiled_token_is_refused(teams: TeamsAssistant, microsoft: Microsoft, case: str) -> None:
    user = teams.user()
    mark = microsoft.mark()
    answer = microsoft.post(teams.webhook, microsoft.activity(user, "hallo"), token=spoiled_tokens(microsoft)[case])
    assert answer.status_code == 401, answer.text
    assert microsoft.replies(user, mark) == []


def test_no_token_is_refused(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    answer = httpx.post(teams.webhook, json=microsoft.activity(teams.user(), "hallo"), timeout=30)
    assert answer.status_code == 401


def test_a_valid_token_is_accepted(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    user = teams.user()
    mark = microsoft.mark()
    assert microsoft.post(teams.webhook, microsoft.activity(user, "hallo")).status_code == 200
    assert microsoft.replies(user, mark), "the unlinked user is asked to link"


def test_a_body_that_is_no_activity_is_a_bad_request(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    headers = {"Authorization": f"Bearer {microsoft.sign()}", "Content-Type": "application/json"}
    not_json = httpx.post(teams.webhook, content=b"{oops", headers=headers, timeout=30)
    no_conversation = httpx.post(teams.webhook, json={"type": "message", "serviceUrl": microsoft.service_url},
                                 headers=headers, timeout=30)
    assert not_json.status_code == no_conversation.status_code == 400


def test_an_activity_from_another_tenant_is_refused(teams: TeamsAssistant, microsoft: Microsoft) -> None:
    stranger = teams.user()
    stranger.tenant_id = "00000000-0000-4000-8000-0000000000ff"
    assert stranger.tenant_id != TENANT_ID
    answer = microsoft.post(teams.webhook, microsoft.activity(stranger, "hallo"))
    assert answer.status_code == 403


@dataclass
class _Request:
    """Just what the channel reads from a Sanic request before anything else."""

    headers: dict[str, str] = field(default_factory=lambda: {"authorization": "Bearer x"})
    json: dict[str, str] = field(default_factory=lambda: {"type": "message"})


def test_without_an_app_registration_every_request_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    settings = TeamsSettings(
        app_id="", app_password="", tenant_id="", openid_metadata_url="http://127.0.0.1:9/", authority="http://127.0.0.1:9",
        portal_url="http://127.0.0.1:9", service_key_file=Path("/nonexistent"),
    )
    # The channel's JSON logger writes to stderr and does not propagate: caplog listens on it directly.
    teams_log = logging.getLogger("bot.channels.teams")
    teams_log.addHandler(caplog.handler)
    try:
        channel = TeamsInput(settings)
    finally:
        teams_log.removeHandler(caplog.handler)
    activity, refusal = asyncio.run(channel._refusal(_Request()))
    assert activity is None and refusal is not None and refusal.status == 401
    assert channel.get_output_channel() is None
    assert "Microsoft Teams is not configured" in caplog.text
