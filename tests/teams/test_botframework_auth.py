"""The token verifier and the app-token client against Microsoft's stand-in, without Rasa."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.channels import botframework_auth
from bot.channels.botframework_auth import BotFrameworkTokenVerifier, InvalidBotTokenError
from bot.channels.botframework_connector import BotConnector, BotConnectorError
from tests.teams.microsoft import Microsoft, new_rsa_key, running_microsoft

APP_ID = "0b9d3c52-1111-4c1d-9e2f-0a1b2c3d4e5f"
TENANT = "5e6f7a8b-2222-4000-8000-00000000cafe"


@pytest.fixture
def ms() -> Iterator[Microsoft]:
    with running_microsoft(APP_ID, "secret", TENANT) as stand_in:
        yield stand_in


def verifier(ms: Microsoft) -> BotFrameworkTokenVerifier:
    return BotFrameworkTokenVerifier(APP_ID, f"{ms.url}/v1/.well-known/openidconfiguration")


def test_keys_are_fetched_lazily_and_kept(ms: Microsoft) -> None:
    checker = verifier(ms)
    assert ms.key_set_requests == 0

    async def twice() -> None:
        for _ in range(2):
            claims = await checker.verify(f"Bearer {ms.sign()}", ms.service_url, "msteams")
            assert claims["aud"] == APP_ID

    asyncio.run(twice())
    assert ms.key_set_requests == 1


def test_an_unknown_key_id_fetches_the_keys_again_but_not_every_time(ms: Microsoft) -> None:
    checker = verifier(ms)
    stranger = new_rsa_key()

    async def run() -> None:
        await checker.verify(f"Bearer {ms.sign()}", ms.service_url, "msteams")
        for _ in range(3):
            with pytest.raises(InvalidBotTokenError, match="unknown_key"):
                await checker.verify(f"Bearer {ms.sign(key=stranger, kid='rotated')}", ms.service_url, "msteams")

    asyncio.run(run())
    assert ms.key_set_requests == 1  # within the refresh interval: no storm of fetches


def test_a_rotated_key_is_picked_up(ms: Microsoft, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botframework_auth, "REFRESH_INTERVAL_SECONDS", 0.0)
    checker = verifier(ms)

    async def run() -> None:
        await checker.verify(f"Bearer {ms.sign()}", ms.service_url, "msteams")
        ms.key, ms.kid = new_rsa_key(), "rotated-key"  # Microsoft publishes a new key
        await checker.verify(f"Bearer {ms.sign()}", ms.service_url, "msteams")

    asyncio.run(run())
    assert ms.key_set_requests == 2


def test_a_key_not_endorsed_for_the_channel_is_refused(ms: Microsoft) -> None:
    with pytest.raises(InvalidBotTokenError, match="key_not_endorsed"):
        asyncio.run(verifier(ms).verify(f"Bearer {ms.sign()}", ms.service_url, "slack"))


def test_the_app_token_needs_the_right_secret(ms: Microsoft) -> None:
    reference = {"serviceUrl": ms.service_url, "conversation": {"id": "a:1"}, "user": {"id": "29:1"}}
    wrong = BotConnector(APP_ID, "not-the-secret", TENANT, ms.url)
    with pytest.raises(BotConnectorError, match="AADSTS7000215"):
        asyncio.run(wrong.send(reference, {"text": "hallo"}))
    right = BotConnector(APP_ID, "secret", TENANT, ms.url)
    asyncio.run(right.send(reference, {"text": "hallo"}))
    assert [a["text"] for a in ms.received] == ["hallo"]
