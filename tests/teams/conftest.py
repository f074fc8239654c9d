"""Fixtures for the Teams tests: Microsoft's stand-in, and a portal, action server and Rasa of their own.

Their own portal, because linking uses the demo users' TOTP codes, which count once only per portal.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests import rasa_api
from tests.conftest import (
    PORTAL_BIN,
    ServiceProcess,
    free_port,
    portal_test_server,
    rasa_environment,
    rasa_executable,
)
from tests.teams.microsoft import Microsoft, TeamsUser, running_microsoft

APP_ID = "6f1c3e52-8a4b-4c1d-9e2f-0a1b2c3d4e5f"
APP_PASSWORD = "stand-in-client-secret"  # noqa: S105 - the stand-in's own test registration
TENANT_ID = "72f988bf-0000-4000-8000-00000000feed"
# The channels Rasa loads in these tests: ours, nothing another helper may still be writing.
CREDENTIALS = {"bot.channels.rest.ChatTokenRestInput": None, "bot.channels.teams.TeamsInput": None}


@dataclass
class TeamsAssistant:
    """The running assistant as Teams reaches it, with what a test needs around it."""

    rasa_url: str
    portal: object
    microsoft: Microsoft
    rasa_key: Path
    # The output of each process ("rasa", "actions", "portal"), for tests that follow a turn through the logs.
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/botframework/webhook"

    def api_headers(self) -> dict[str, str]:
        """An admin token for Rasa's HTTP API, signed with the portal's Rasa API key."""
        return api_headers(self.rasa_key)

    def user(self, name: str = "Test Gebruiker", locale: str = "nl-NL") -> TeamsUser:
        return TeamsUser(name=name, tenant_id=TENANT_ID, locale=locale)

    def say(self, user: TeamsUser, text: str, request_id: str | None = None) -> list[dict]:
        """Sends a Teams message as the user (with this X-Request-ID, if given); returns what the bot posted
        to the Bot Connector for it."""
        mark = self.microsoft.mark()
        answer = self.microsoft.post(self.webhook, self.microsoft.activity(user, text), request_id=request_id)
        assert answer.status_code == 200, answer.text
        return self.microsoft.replies(user, mark)

    def link(self, user: TeamsUser, username: str, asked: bool = False) -> list[dict]:
        """Links the Teams user to a portal user with a fresh TOTP code; returns the last replies.

        `asked`: the connector already asked for the username (otherwise a first message makes it ask).
        """
        if not asked:
            self.say(user, "hallo")
        self.say(user, username)
        return self.say(user, self.next_code(username))

    def next_code(self, username: str) -> str:
        """A TOTP code the portal has not seen for this user yet (a code counts once only).

        The user logs in first, if not yet, so their access token is kept and its code counted too.
        """
        self.portal.login(username)
        return self.portal.totp_code(username)


def api_headers(rasa_key: Path) -> dict[str, str]:
    """A short-lived admin token for Rasa's HTTP API, as the portal signs them (ES256, its Rasa API key)."""
    return {"Authorization": f"Bearer {rasa_api.token(None, 'teams-tests', 'admin', 300, key=rasa_key.read_bytes())}"}


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


@pytest.fixture(scope="session")
def microsoft() -> Iterator[Microsoft]:
    with running_microsoft(APP_ID, APP_PASSWORD, TENANT_ID) as stand_in:
        yield stand_in


@pytest.fixture(scope="session")
def teams_rasa_port() -> int:
    """Rasa's port, known before the portal starts: the service desk's console calls Rasa's HTTP API."""
    return free_port()


@pytest.fixture(scope="session")
def teams_portal(tmp_path_factory: pytest.TempPathFactory, teams_rasa_port: int) -> Iterator[object]:
    with portal_test_server.running_portal(
        tmp_path_factory.mktemp("teams-portal"),
        extra_env={"PORTAL_RASA_URL": f"http://127.0.0.1:{teams_rasa_port}"},
        bin_dir=PORTAL_BIN,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def teams_actions_server(teams_portal: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The action server of these tests: its URL and its output."""
    port = free_port()
    server = ServiceProcess(
        "teams action server",
        [rasa_executable(), "run", "actions", "--port", str(port), "--actions", "actions"],
        tmp_path_factory.mktemp("teams-actions") / "output.log",
        rasa_environment(SANIC_HOST="127.0.0.1", PORTAL_URL=teams_portal.url),
    )
    try:
        server.wait_until_ready(f"http://127.0.0.1:{port}/health")
        yield f"http://127.0.0.1:{port}", server.log_path
    finally:
        server.stop()


@pytest.fixture(scope="session")
def teams_actions(teams_actions_server: tuple[str, Path]) -> str:
    return teams_actions_server[0]


def start_rasa(
    workdir: Path, port: int, model: Path, actions: str, env: dict[str, str], rasa_key: Path
) -> tuple[ServiceProcess, str]:
    """`rasa run --enable-api` with the trained model, our channels, and the HTTP API behind the portal's JWTs."""
    (workdir / "credentials.yml").write_text(json.dumps(CREDENTIALS))
    (workdir / "endpoints.yml").write_text(json.dumps({
        "action_endpoint": {"url": f"{actions}/webhook"},
        # As endpoints.yml: conversations in memory, BSNs masked, no token stored.
        "tracker_store": {"type": "bot.tracker_store.MaskingInMemoryTrackerStore"},
    }))
    server = ServiceProcess(
        "teams rasa server",
        [
            # As in the Procfile: Rasa verifies with the public half; sanic-jwt wants a private key it never uses.
            rasa_executable(), "run", "--enable-api", "--jwt-method", "ES256",
            "--jwt-secret", str(rasa_key.with_name(rasa_key.name.removesuffix(".pem") + ".pub.pem")),
            "--jwt-private-key", "unused-rasa-only-verifies",
            "-i", "127.0.0.1", "-p", str(port), "-m", str(model),
            "--credentials", str(workdir / "credentials.yml"), "--endpoints", str(workdir / "endpoints.yml"),
        ],
        workdir / "output.log",
        env,
    )
    url = f"http://127.0.0.1:{port}"
    server.wait_until_ready(url)  # Rasa's root answers without a token once the server is up
    deadline = time.monotonic() + 120
    # /status answers 200 (with a token) only once the model is loaded.
    while httpx.get(f"{url}/status", headers=api_headers(rasa_key), timeout=10).status_code != 200:
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"Rasa did not load the model:\n{server.output_tail()}")
        time.sleep(1)
    return server, url


@pytest.fixture(scope="session")
def teams(
    trained_model: Path,
    teams_actions: str,
    teams_actions_server: tuple[str, Path],
    teams_portal: object,
    teams_rasa_port: int,
    microsoft: Microsoft,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TeamsAssistant]:
    """Rasa with the Teams channel pointed at the stand-in, and the portal's service key."""
    rasa_key = teams_portal.data_dir / "keys" / "rasa-api-es256.pem"
    env = rasa_environment(
        PORTAL_URL=teams_portal.url,
        PORTAL_CHANNEL_SERVICE_KEY_FILE=str(teams_portal.data_dir / "keys" / "channel-service.key"),
        TEAMS_APP_ID=APP_ID,
        TEAMS_APP_PASSWORD=APP_PASSWORD,
        TEAMS_TENANT_ID=TENANT_ID,
        TEAMS_OPENID_METADATA_URL=f"{microsoft.url}/v1/.well-known/openidconfiguration",
        TEAMS_LOGIN_AUTHORITY=microsoft.url,
    )
    server, url = start_rasa(
        tmp_path_factory.mktemp("teams-rasa"), teams_rasa_port, trained_model, teams_actions, env, rasa_key
    )
    try:
        logs = {"rasa": server.log_path, "actions": teams_actions_server[1], "portal": teams_portal.server.log_path}
        yield TeamsAssistant(rasa_url=url, portal=teams_portal, microsoft=microsoft, rasa_key=rasa_key, logs=logs)
    finally:
        server.stop()

