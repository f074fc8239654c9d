"""Logging in: password then TOTP, codes once only, lockout, tokens that are checked on every request."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import jwt
import pyotp
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.server import DEMO_PASSWORD, SECRETS, Portal


def _mfa_token(portal: Portal, username: str, password: str = DEMO_PASSWORD) -> str:
    with portal.client() as client:
        response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["mfa_token"]


def test_login_gives_an_access_token_with_user_employer_and_roles(portal: Portal) -> None:
    token = portal.login("demo.hrfin")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["username"] == "demo.hrfin"
    assert sorted(claims["roles"]) == ["finance", "hr"]
    assert claims["employer"] is not None
    assert claims["aud"] == "portal"
    assert claims["exp"] - claims["iat"] == 30 * 60
    with portal.client() as client:
        me = client.get("/api/me", headers=portal.headers("demo.hrfin")).json()
    assert me["employer"]["name"] == "Voorbeeld Techniek B.V."


def test_the_access_token_verifies_with_the_published_key(portal: Portal) -> None:
    token = portal.login("demo.hr")
    with portal.client() as client:
        jwks = client.get("/api/auth/jwks").json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(token, key, algorithms=["ES256"], audience="portal")
    assert claims["username"] == "demo.hr"


def test_a_totp_code_is_accepted_once_only(fresh_portal: Portal) -> None:
    code = pyotp.TOTP(SECRETS["demo.hr"]).now()
    with fresh_portal.client("en") as client:
        first = client.post("/api/auth/mfa", json={"mfa_token": _mfa_token(fresh_portal, "demo.hr"), "code": code})
        again = client.post("/api/auth/mfa", json={"mfa_token": _mfa_token(fresh_portal, "demo.hr"), "code": code})
    assert first.status_code == 200
    assert again.status_code == 401
    assert again.json()["errors"][0]["code"] == "code_already_used"


def test_a_code_of_one_step_ago_is_accepted_but_not_older(fresh_portal: Portal) -> None:
    totp = pyotp.TOTP(SECRETS["demo.um"])
    old = totp.at(time.time() - 90)
    previous = totp.at(time.time() - 30)
    with fresh_portal.client() as client:
        too_old = client.post("/api/auth/mfa", json={"mfa_token": _mfa_token(fresh_portal, "demo.um"), "code": old})
        drifted = client.post("/api/auth/mfa", json={"mfa_token": _mfa_token(fresh_portal, "demo.um"), "code": previous})
    if old != previous:  # the same six digits twice in a row is possible, if rare
        assert too_old.status_code == 401
    assert drifted.status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(portal: Portal) -> None:
    with portal.client() as client:
        unknown = client.post("/api/auth/login", json={"username": "nobody.here", "password": "x"})
        wrong = client.post("/api/auth/login", json={"username": "demo.finance", "password": "wrong"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert "gebruikersnaam of het wachtwoord" in wrong.json()["errors"][0]["message"]


def test_five_wrong_passwords_lock_the_account_for_15_minutes(fresh_portal: Portal) -> None:
    with fresh_portal.client("en") as client:
        for _ in range(5):
            assert client.post("/api/auth/login", json={"username": "demo.hr", "password": "guess"}).status_code == 401
        locked = client.post("/api/auth/login", json={"username": "demo.hr", "password": DEMO_PASSWORD})
        other_user = client.post("/api/auth/login", json={"username": "demo.um", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["errors"][0]["code"] == "account_locked"
    assert "15 minutes" in locked.json()["errors"][0]["message"]
    assert other_user.status_code == 200


def test_four_wrong_passwords_do_not_lock(fresh_portal: Portal) -> None:
    with fresh_portal.client() as client:
        for _ in range(4):
            client.post("/api/auth/login", json={"username": "demo.um", "password": "guess"})
        assert client.post("/api/auth/login", json={"username": "demo.um", "password": DEMO_PASSWORD}).status_code == 200


def test_five_wrong_codes_lock_the_account(fresh_portal: Portal) -> None:
    real = pyotp.TOTP(SECRETS["demo.finance"]).now()
    wrong = f"{(int(real) + 500_000) % 1_000_000:06d}"
    with fresh_portal.client() as client:
        for _ in range(5):
            answer = client.post("/api/auth/mfa", json={"mfa_token": _mfa_token(fresh_portal, "demo.finance"), "code": wrong})
            assert answer.status_code == 401
        locked = client.post("/api/auth/login", json={"username": "demo.finance", "password": DEMO_PASSWORD})
    assert locked.status_code == 429


def _forged(claims: dict) -> str:
    return jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")


@pytest.mark.parametrize("kind", ["missing", "garbage", "other_key", "expired", "mfa_token", "none_alg"])
def test_bad_tokens_are_refused(portal: Portal, kind: str) -> None:
    genuine = jwt.decode(portal.login("demo.um"), options={"verify_signature": False})
    now = datetime.now(UTC)
    tokens = {
        "missing": None,
        "garbage": "not.a.token",
        "other_key": _forged(genuine),
        "expired": _forged({**genuine, "exp": now - timedelta(minutes=1)}),
        "mfa_token": _mfa_token(portal, "demo.um"),
        "none_alg": jwt.encode(genuine, None, algorithm="none"),
    }
    headers = {"Authorization": f"Bearer {tokens[kind]}"} if tokens[kind] else {}
    with portal.client() as client:
        response = client.get("/api/participants", headers=headers)
    assert response.status_code == 401
    assert "items" not in response.text


def test_chat_token_is_bound_to_a_conversation_and_accepted_as_bearer(portal: Portal) -> None:
    with portal.client() as client:
        issued = client.post("/api/chat/token", headers=portal.headers("demo.hr"))
        assert issued.status_code == 200
        body = issued.json()
        claims = jwt.decode(body["token"], options={"verify_signature": False})
        assert claims["aud"] == "chat"
        assert claims["sid"] == body["conversation_id"]
        assert claims["exp"] - claims["iat"] == body["expires_in"] == 15 * 60
        chat_headers = {"Authorization": f"Bearer {body['token']}"}
        assert client.get("/api/participants/2001681", headers=chat_headers).status_code == 200
        # a chat token cannot mint more chat tokens
        assert client.post("/api/chat/token", headers=chat_headers).status_code == 403
        # renewal keeps the conversation, but only for its own user
        renewed = client.post(
            "/api/chat/token", json={"conversation_id": body["conversation_id"]}, headers=portal.headers("demo.hr")
        )
        assert renewed.status_code == 200
        assert renewed.json()["conversation_id"] == body["conversation_id"]
        stolen = client.post(
            "/api/chat/token", json={"conversation_id": body["conversation_id"]}, headers=portal.headers("demo.um")
        )
        assert stolen.status_code == 404


def test_a_mutation_through_a_chat_token_is_recorded_as_chat(portal: Portal, today: date, active_number: str) -> None:
    with portal.client() as client:
        token = client.post("/api/chat/token", headers=portal.headers("demo.hr")).json()["token"]
        response = client.post(
            f"/api/participants/{active_number}/salary-change",
            json={"effective_date": today.isoformat(), "parttime_percentage": "90"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "chat"


def test_one_totp_code_sent_in_parallel_logs_in_once(fresh_portal: Portal) -> None:
    """A code caught in transit and replayed at the same moment as the real one: one login, not two."""
    parallel = 4
    tokens = [_mfa_token(fresh_portal, "demo.hr") for _ in range(parallel)]
    code = pyotp.TOTP(SECRETS["demo.hr"]).now()
    start = threading.Barrier(parallel)

    def send(mfa_token: str) -> int:
        with fresh_portal.client() as client:
            start.wait()
            return client.post("/api/auth/mfa", json={"mfa_token": mfa_token, "code": code}).status_code

    with ThreadPoolExecutor(parallel) as pool:
        statuses = sorted(pool.map(send, tokens))
    assert statuses == [200] + [401] * (parallel - 1)


def test_the_lockout_does_not_tell_known_from_unknown_users(fresh_portal: Portal) -> None:
    """Five wrong passwords lock an unknown username exactly like a known one: the lock gives nobody away."""
    answers = {}
    with fresh_portal.client() as client:
        for username in ("demo.hrfin", "nobody.at.all"):
            tries = [client.post("/api/auth/login", json={"username": username, "password": "guess"}) for _ in range(6)]
            answers[username] = [(r.status_code, r.json()) for r in tries]
    assert [status for status, _ in answers["demo.hrfin"]] == [401] * 5 + [429]
    assert answers["demo.hrfin"] == answers["nobody.at.all"]


def wrong_passwords_in_parallel(portal: Portal, username: str, tries: int) -> list[int]:
    """Sends `tries` wrong passwords for one username at the same moment; their status codes."""
    start = threading.Barrier(tries)

    def send(_: int) -> int:
        with portal.client() as client:
            start.wait()
            return client.post("/api/auth/login", json={"username": username, "password": "guess"}).status_code

    with ThreadPoolExecutor(tries) as pool:
        return list(pool.map(send, range(tries)))


def assert_locked(portal: Portal, username: str) -> None:
    """The right password is refused with the lockout answer."""
    with portal.client("en") as client:
        answer = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 429, answer.text
    assert answer.json()["errors"][0]["code"] == "account_locked"


def throttle_of(portal: Portal, username: str) -> tuple[int, int]:
    """The failures counted since the last lock, and how many times the username was locked (audit log)."""
    with sqlite3.connect(portal.database) as db:
        (failures,) = db.execute("SELECT failures FROM login_throttle WHERE username = ?", (username,)).fetchone()
        (locks,) = db.execute("SELECT count(*) FROM audit_event WHERE action = 'lockout' AND actor_username = ?",
                              (username,)).fetchone()
    return failures, locks


def test_wrong_passwords_sent_in_parallel_all_count(fresh_portal: Portal) -> None:
    """A guesser sending at the same moment loses no count: five at once lock the account as five in a row do."""
    for username, tries in (("demo.hr", 5), ("demo.um", 8), ("nobody.at.all", 8)):
        statuses = wrong_passwords_in_parallel(fresh_portal, username, tries)
        assert set(statuses) <= {401, 429}, (username, statuses)
        assert_locked(fresh_portal, username)
        # Every try that got past the lock check counted: five locked, the rest count towards the next lock.
        assert throttle_of(fresh_portal, username) == (statuses.count(401) - 5, 1), (username, statuses)


def test_wrong_codes_sent_in_parallel_all_count(fresh_portal: Portal) -> None:
    parallel = 5
    tokens = [_mfa_token(fresh_portal, "demo.finance") for _ in range(parallel)]
    real = pyotp.TOTP(SECRETS["demo.finance"]).now()
    wrong = f"{(int(real) + 500_000) % 1_000_000:06d}"
    start = threading.Barrier(parallel)

    def send(mfa_token: str) -> int:
        with fresh_portal.client() as client:
            start.wait()
            return client.post("/api/auth/mfa", json={"mfa_token": mfa_token, "code": wrong}).status_code

    with ThreadPoolExecutor(parallel) as pool:
        statuses = list(pool.map(send, tokens))
    assert set(statuses) <= {401, 429}, statuses
    assert_locked(fresh_portal, "demo.finance")
    assert throttle_of(fresh_portal, "demo.finance") == (statuses.count(401) - 5, 1), statuses
