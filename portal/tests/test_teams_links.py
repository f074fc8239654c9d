"""The Teams connector's endpoints: linking with a TOTP code, chat tokens for linked users, the service key."""

from __future__ import annotations

import sqlite3
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pyotp
import pytest

from tests.server import SECRETS, Portal, running_portal

TENANT = "8f3c1d2e-0000-4000-8000-000000000001"
REFERENCE = {
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "conversation": {"id": "a:1teams-conversation"},
    "bot": {"id": "28:bot"},
    "user": {"id": "29:user"},
}


@pytest.fixture(scope="module")
def teams_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal of its own: these tests use TOTP codes, which count once only per account."""
    with running_portal(tmp_path_factory.mktemp("teams-portal")) as running:
        running.login("demo.hr")  # uses demo.hr's current code; the tests below link demo.hr a step ahead
        yield running


def service_key(portal: Portal) -> str:
    return (portal.data_dir / "keys" / "channel-service.key").read_text().strip()


def connector(portal: Portal, language: str | None = None) -> httpx.Client:
    """An HTTP client that presents the channel service credential, like the Teams connector."""
    client = portal.client(language)
    client.headers["Authorization"] = f"Bearer {service_key(portal)}"
    return client


def code(username: str, steps_ahead: int = 0) -> str:
    """A TOTP code of the account; a step ahead is still accepted (clock drift), so a test can use two."""
    return pyotp.TOTP(SECRETS[username]).at(time.time() + 30 * steps_ahead)


def new_identity() -> str:
    return str(uuid.uuid4())


def link(client: httpx.Client, aad: str, username: str, totp: str) -> httpx.Response:
    return client.post(
        "/api/channels/teams/links",
        json={"tenant_id": TENANT, "aad_object_id": aad, "username": username, "code": totp},
    )


def chat_token(client: httpx.Client, aad: str) -> httpx.Response:
    return client.post(
        "/api/channels/teams/chat-token",
        json={"tenant_id": TENANT, "aad_object_id": aad, "conversation_reference": REFERENCE},
    )


def test_the_key_file_is_made_at_start_and_readable_only_by_its_owner(teams_portal: Portal) -> None:
    path: Path = teams_portal.data_dir / "keys" / "channel-service.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(service_key(teams_portal)) >= 32


def test_link_then_chat_tokens_for_one_teams_conversation(teams_portal: Portal) -> None:
    aad = new_identity()
    with connector(teams_portal) as client:
        before = chat_token(client, aad)
        linked = link(client, aad, "demo.hr", code("demo.hr", 1))
        first = chat_token(client, aad)
        second = chat_token(client, aad)
        stored = client.get(f"/api/channels/teams/conversations/{first.json()['conversation_id']}")
    assert before.status_code == 404 and before.json()["errors"][0]["code"] == "not_linked"
    assert linked.status_code == 201, linked.text
    assert linked.json()["username"] == "demo.hr"
    assert first.status_code == 200, first.text
    body = first.json()
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert (claims["sid"], claims["chn"], claims["username"], claims["aud"]) == (
        body["conversation_id"], "teams", "demo.hr", "chat"
    )
    assert body["language"] == "nl" and body["expires_in"] > 60
    # later messages continue the same conversation
    assert second.json()["conversation_id"] == body["conversation_id"]
    assert stored.status_code == 200 and stored.json()["conversation_reference"] == REFERENCE
    # the portal accepts the chat token for the linked user, like any channel's
    with teams_portal.client() as client:
        me = client.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "demo.hr"


def test_unlink_ends_access(teams_portal: Portal) -> None:
    aad = new_identity()
    with connector(teams_portal, "en") as client:
        assert link(client, aad, "demo.um", code("demo.um")).status_code == 201
        assert chat_token(client, aad).status_code == 200
        removed = client.delete(f"/api/channels/teams/links/{TENANT}/{aad}")
        after = chat_token(client, aad)
        again = client.delete(f"/api/channels/teams/links/{TENANT}/{aad}")
    assert removed.status_code == 204
    assert after.status_code == 404
    assert after.json()["errors"][0]["message"] == "This Teams account is not linked to a portal account."
    assert again.status_code == 404


def test_a_relink_replaces_the_link_and_starts_a_new_conversation(teams_portal: Portal) -> None:
    aad = new_identity()
    with connector(teams_portal) as client:
        assert link(client, aad, "demo.hrfin", code("demo.hrfin")).status_code == 201
        first = chat_token(client, aad).json()
        assert link(client, aad, "demo.hrfin", code("demo.hrfin", 1)).status_code == 201
        second = chat_token(client, aad).json()
    assert second["conversation_id"] != first["conversation_id"]
    assert jwt.decode(second["token"], options={"verify_signature": False})["username"] == "demo.hrfin"


def test_wrong_unknown_and_reused_codes_are_refused_in_the_users_language(teams_portal: Portal) -> None:
    aad = new_identity()
    good = code("demo.finance")
    wrong = "000000" if good != "000000" else "111111"
    with connector(teams_portal) as client:
        unknown = link(client, aad, "nobody.here", good)
        wrong_code = link(client, aad, "demo.finance", wrong)
        assert link(client, aad, "demo.finance", good).status_code == 201
        reused = link(client, new_identity(), "demo.finance", good)
    with connector(teams_portal, "en") as client:
        english = link(client, aad, "demo.finance", wrong)
    # an unknown user and a wrong code get the same answer: the chat does not reveal who has an account
    assert unknown.status_code == wrong_code.status_code == 401
    assert unknown.json() == wrong_code.json()
    assert wrong_code.json()["errors"][0]["message"] == "De gebruikersnaam of de code is onjuist."
    assert english.json()["errors"][0]["message"] == "The username or code is incorrect."
    assert reused.status_code == 401 and reused.json()["errors"][0]["code"] == "code_already_used"


def test_repeated_wrong_codes_lock_the_username(teams_portal: Portal) -> None:
    with connector(teams_portal) as client:
        answers = [link(client, new_identity(), "guess.who", "123456").status_code for _ in range(6)]
    assert answers[:5] == [401] * 5
    assert answers[5] == 429


def test_staff_without_the_chat_permission_cannot_link(teams_portal: Portal) -> None:
    with connector(teams_portal) as client:
        refused = link(client, new_identity(), "desk.agent", code("desk.agent"))
    assert refused.status_code == 403


def test_a_deactivated_user_loses_access_at_once(teams_portal: Portal) -> None:
    aad = new_identity()
    with connector(teams_portal) as client:
        assert link(client, aad, "other.hr", code("other.hr")).status_code == 201
        assert chat_token(client, aad).status_code == 200
        # No API deactivates an account yet; the portal's user management would set this flag.
        with sqlite3.connect(teams_portal.database) as db:
            db.execute("UPDATE user_account SET is_active = 0 WHERE username = 'other.hr'")
        refused = chat_token(client, aad)
        afterwards = chat_token(client, aad)
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "account_inactive"
    assert afterwards.status_code == 404  # the link is gone


def test_the_service_key_only_opens_the_connector_endpoints(teams_portal: Portal) -> None:
    with connector(teams_portal) as client:
        me = client.get("/api/me")
        participants = client.get("/api/participants")
        unknown = client.get("/api/channels/teams/conversations/nope")
    with teams_portal.client() as client:
        user_token = client.get(
            "/api/channels/teams/conversations/nope", headers=teams_portal.headers("demo.hr")
        )
        wrong_key = client.post(
            "/api/channels/teams/chat-token",
            headers={"Authorization": f"Bearer {service_key(teams_portal)[:-1]}x"},
            json={"tenant_id": TENANT, "aad_object_id": "x", "conversation_reference": {}},
        )
    assert me.status_code == participants.status_code == 401
    assert unknown.status_code == 404
    assert user_token.status_code == wrong_key.status_code == 401


def test_links_are_audited_without_the_code(teams_portal: Portal) -> None:
    aad = new_identity()
    totp = code("demo.um", 1)
    with connector(teams_portal) as client:
        assert link(client, aad, "demo.um", totp).status_code == 201
    with sqlite3.connect(teams_portal.database) as db:
        rows = db.execute(
            "SELECT action, outcome, channel, target, detail FROM audit_event WHERE target LIKE ?", (f"%{aad}",)
        ).fetchall()
    assert [(action, outcome, channel) for action, outcome, channel, _, _ in rows] == [("teams_link", "linked", "teams")]
    assert all(totp not in str(row) for row in rows)
