"""The portal's client of the assistant's HTTP API (Rasa): read a conversation, write into it, pause and resume it.

Rasa's HTTP API runs only with JWT authentication (`rasa run --enable-api --jwt-method ES256 --jwt-secret
<public key>`). We chose ES256 with a key pair of its own over HS256 with a shared secret: Rasa gets only the
public half, so only the portal can mint API tokens, and nothing secret appears on Rasa's command line.
sanic-jwt insists on a private key for asymmetric methods although it never uses one to verify (Rasa offers
no way to log in for a token), so Rasa is given a placeholder there. The pair is separate from the portal's
token-signing key, so no chat or access token is ever a Rasa API token. Each call carries a token of one
minute, scoped with Rasa's `user` role to the one conversation it concerns.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from portal.audit.service import mask_bsns
from portal.config import get_settings
from portal.errors import N_, PortalError, Problem

log = logging.getLogger("portal.rasa")
TOKEN_SECONDS = 60
# Bot events the service desk writes carry this in their metadata, so the console tells them apart.
SENT_BY = "sent_by"
SERVICE_DESK = "service_desk"


def public_key_path(private_path: Path | None = None) -> Path:
    """Where the public half lives: beside the private key, as `<name>.pub.pem`."""
    path = private_path or get_settings().rasa_key_path
    return path.with_name(path.name.removesuffix(".pem") + ".pub.pem")


@lru_cache
def api_key() -> ec.EllipticCurvePrivateKey:
    """The key Rasa API tokens are signed with; created once (mode 600) with its public half when missing."""
    path = get_settings().rasa_key_path
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise RuntimeError(f"{path} is not an EC private key; remove it (and its .pub.pem) to have a new pair made.")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        path.touch(mode=0o600)
        path.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    public = public_key_path(path)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if not public.exists() or public.read_bytes() != public_pem:
        public.write_bytes(public_pem)
    return key


def api_token(conversation_id: str) -> str:
    """A one-minute Rasa API token for one conversation (Rasa's `user` role: username = conversation id)."""
    now = int(time.time())
    payload = {"user": {"username": conversation_id, "role": "user"}, "iat": now, "exp": now + TOKEN_SECONDS}
    return jwt.encode(payload, api_key(), algorithm="ES256")


def assistant_unavailable() -> PortalError:
    """503: Rasa did not answer (in time), or refused us."""
    return PortalError(
        503,
        Problem("assistant_unavailable", N_("The assistant cannot be reached right now. Please try again in a moment.")),
    )


def assistant_not_connected() -> PortalError:
    """503: this portal has no assistant configured (PORTAL_RASA_URL is empty)."""
    return PortalError(
        503, Problem("assistant_not_connected", N_("The portal is not connected to the assistant."))
    )


@dataclass(frozen=True)
class LiveMessage:
    """One message of a conversation as the console shows it."""

    sender: str  # "user", "bot" (the assistant) or "agent" (the service desk)
    text: str
    timestamp: datetime


def newest_timestamp(events: list[dict[str, Any]], after: float) -> float:
    """The time of the newest event, which the next poll passes as `after`."""
    return max([after, *(float(event.get("timestamp") or 0) for event in events)])


def live_messages(events: list[dict[str, Any]], since: datetime, after: float) -> list[LiveMessage]:
    """The user's, assistant's and desk's messages newer than `after` and not before `since`, BSNs masked.

    A cursor in time rather than a position: Rasa's in-memory tracker store keeps only the latest
    session of a conversation once a new one starts, so positions shift; event times do not.
    """
    since_epoch = since.replace(tzinfo=UTC).timestamp()
    messages = []
    for event in events:
        timestamp = float(event.get("timestamp") or 0)
        if event.get("event") not in ("user", "bot") or not event.get("text"):
            continue
        if timestamp <= after or timestamp < since_epoch:
            continue
        sender = event["event"]
        if sender == "bot" and (event.get("metadata") or {}).get(SENT_BY) == SERVICE_DESK:
            sender = "agent"
        messages.append(LiveMessage(sender, mask_bsns(event["text"]), datetime.fromtimestamp(timestamp, UTC)))
    return messages


def bot_message(text: str, *, from_desk: bool) -> dict[str, Any]:
    """A `bot` event; the desk's own messages say so in their metadata (channels may show that).

    Without a timestamp: Rasa stamps it with its own clock, like the user's messages, so their order holds.
    """
    event: dict[str, Any] = {"event": "bot", "text": text}
    if from_desk:
        event["metadata"] = {SENT_BY: SERVICE_DESK}
    return event


class RasaClient:
    """Calls Rasa's HTTP API for one conversation at a time, with a fresh token per call."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def _request(self, method: str, conversation_id: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}/conversations/{quote(conversation_id, safe='')}{path}"
        headers = {"Authorization": f"Bearer {api_token(conversation_id)}"}
        try:
            answer = httpx.request(method, url, headers=headers, timeout=self.timeout_s, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("Rasa did not answer %s %s: %s", method, path, type(exc).__name__)
            raise assistant_unavailable() from exc
        if answer.status_code in (401, 403):
            log.error(
                "Rasa refused the portal's API token (%d); is Rasa started with --jwt-method ES256 "
                "--jwt-secret %s?",
                answer.status_code,
                public_key_path(),
            )
            raise assistant_unavailable()
        if answer.status_code >= 400:
            log.error("Rasa answered %s %s with %d", method, path, answer.status_code)
            raise assistant_unavailable()
        return answer.json()

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's tracker with the events of every session."""
        return self._request("GET", conversation_id, "/tracker", params={"include_events": "ALL"})

    def append(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Appends events; bot messages among them go out to the channel the user wrote in last."""
        params = {"output_channel": "latest", "execute_side_effects": "true", "include_events": "NONE"}
        self._request("POST", conversation_id, "/tracker/events", params=params, json=events)

    def pause(self, conversation_id: str, notice: str | None = None) -> None:
        """Silences the assistant (the user's messages are still recorded), optionally telling the user."""
        self.append(conversation_id, [{"event": "pause"}, *([bot_message(notice, from_desk=False)] if notice else [])])

    def resume(self, conversation_id: str, notice: str) -> None:
        """Lets the assistant answer again, and tells the user so.

        The closing `action_listen` ends the turn: what the user wrote while paused got no answer, and
        without it the policies would read the next message as the same turn and stay silent.
        """
        events = [{"event": "resume"}, bot_message(notice, from_desk=False), {"event": "action", "name": "action_listen"}]
        self.append(conversation_id, events)

    def say(self, conversation_id: str, text: str) -> None:
        """Sends a service-desk colleague's message to the user."""
        self.append(conversation_id, [bot_message(text, from_desk=True)])


def rasa_client() -> RasaClient | None:
    """The client for the configured Rasa, or None when no assistant is connected."""
    settings = get_settings()
    if not settings.rasa_url:
        return None
    return RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
