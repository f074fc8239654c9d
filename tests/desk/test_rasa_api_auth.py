"""Rasa's HTTP API answers only to the portal's short-lived tokens (issue 4 §3: never open)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests import rasa_api
from tests.conftest import rasa_api_public_key


@pytest.fixture
def conversation_id() -> str:
    return f"api-auth-{uuid.uuid4().hex}"


def _tracker(rasa_url: str, conversation_id: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{rasa_url}/conversations/{conversation_id}/tracker", headers=headers, timeout=30)


def _another_key() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _hs256_signed_with_the_public_key(portal: object, conversation_id: str) -> str:
    # The classic algorithm confusion: the public key, which anyone may read, used as an HMAC secret.
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"user": {"username": conversation_id, "role": "admin"}, "exp": int(time.time()) + 60}
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(rasa_api_public_key(portal).read_bytes(), header + b"." + body, hashlib.sha256).digest()
    return (header + b"." + body + b"." + _b64(signature)).decode()


def test_without_a_token_the_api_is_closed(rasa_url: str, conversation_id: str) -> None:
    reads = _tracker(rasa_url, conversation_id, None)
    writes = httpx.post(f"{rasa_url}/conversations/{conversation_id}/tracker/events", json={"event": "resume"}, timeout=30)
    status = httpx.get(f"{rasa_url}/status", timeout=30)
    assert (reads.status_code, writes.status_code, status.status_code) == (401, 401, 401)


def test_tokens_the_portal_did_not_sign_are_refused(rasa_url: str, portal: object, conversation_id: str) -> None:
    forged = {
        "another key": rasa_api.token(portal, conversation_id, "admin", key=_another_key()),
        # sanic-jwt allows three minutes of clock skew after `exp`.
        "expired": rasa_api.token(portal, conversation_id, "admin", lifetime_s=-600),
        "not a token": "not-a-token",
    }
    answers = {name: _tracker(rasa_url, conversation_id, token).status_code for name, token in forged.items()}
    assert answers == dict.fromkeys(forged, 401)


def test_the_public_key_is_no_hmac_secret(rasa_url: str, portal: object, conversation_id: str) -> None:
    answer = _tracker(rasa_url, conversation_id, _hs256_signed_with_the_public_key(portal, conversation_id))
    # Refused: only ES256 is accepted. sanic-jwt lets PyJWT's InvalidAlgorithmError escape, so Rasa says 500, not 401.
    assert answer.status_code in (401, 500)
    assert "events" not in answer.text


def test_a_portal_token_opens_only_its_own_conversation(rasa_url: str, portal: object, conversation_id: str) -> None:
    token = rasa_api.token(portal, conversation_id)
    own = _tracker(rasa_url, conversation_id, token)
    other = _tracker(rasa_url, f"{conversation_id}-other", token)
    assert own.status_code == 200, own.text
    assert own.json()["sender_id"] == conversation_id
    assert other.status_code == 403
