"""Tokens for Rasa's HTTP API as the portal mints them, for tests that call Rasa directly."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import jwt


def private_key_pem(portal: object) -> bytes:
    """The portal's Rasa API signing key (made by `portal init-db` in the test portal's data directory)."""
    return Path(portal.data_dir, "keys", "rasa-api-es256.pem").read_bytes()


def token(portal: object, username: str, role: str = "user", lifetime_s: int = 60, key: bytes | None = None) -> str:
    """A Rasa API token; by default like the portal's: one conversation (`user` role), one minute."""
    now = int(time.time())
    payload = {"user": {"username": username, "role": role}, "iat": now, "exp": now + lifetime_s}
    return jwt.encode(payload, key or private_key_pem(portal), algorithm="ES256")


def headers(portal: object, username: str, role: str = "user") -> dict[str, str]:
    """Authorization headers with a fresh token."""
    return {"Authorization": f"Bearer {token(portal, username, role)}"}


def tracker(rasa_url: str, portal: object, conversation_id: str) -> dict:
    """The conversation as Rasa holds it (all events), read with a token as the portal mints them."""
    answer = httpx.get(
        f"{rasa_url}/conversations/{conversation_id}/tracker",
        params={"include_events": "ALL"},
        headers=headers(portal, conversation_id),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()
