"""The Teams connector's calls to the portal, made with the channel service credential."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx


class PortalUnavailableError(Exception):
    """The portal did not answer, or answered with an error the connector cannot explain to the user."""


class PortalRefusedError(Exception):
    """The portal refused the request with one of its error codes (not_linked, invalid_code, ...)."""

    def __init__(self, status_code: int, code: str) -> None:
        super().__init__(f"{status_code} {code}")
        self.status_code = status_code
        self.code = code


@dataclass(frozen=True)
class TeamsChatToken:
    """A portal chat token for a linked Teams user's conversation."""

    token: str
    conversation_id: str
    expires_in: int
    language: str


def default_service_key_file() -> Path:
    """Where `portal init-db` leaves the key when the portal runs from this checkout (PORTAL_DATA_DIR or var)."""
    configured = os.environ.get("PORTAL_CHANNEL_SERVICE_KEY_FILE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("PORTAL_DATA_DIR", "var")) / "keys" / "channel-service.key"


class TeamsPortalClient:
    """Link, unlink, chat tokens and conversation references, from the portal's connector endpoints."""

    def __init__(self, portal_url: str, service_key_file: Path, timeout_seconds: float = 10.0) -> None:
        self._base = f"{portal_url.rstrip('/')}/api/channels/teams"
        self._key_file = service_key_file
        self._key: str | None = None
        self._timeout = httpx.Timeout(timeout_seconds, connect=5.0)

    def _service_key(self) -> str:
        # Read at first use: the portal creates the file at its first start, perhaps after Rasa started.
        if self._key is None:
            try:
                self._key = self._key_file.read_text().strip()
            except OSError as exc:
                raise PortalUnavailableError(f"no channel service key at {self._key_file}") from exc
        return self._key

    async def _call(
        self, method: str, path: str, json: dict[str, Any] | None = None, request_id: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._service_key()}"}
        if request_id:
            headers["X-Request-ID"] = request_id  # the portal logs the Teams turn under the same id
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                answer = await client.request(method, f"{self._base}{path}", json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise PortalUnavailableError(f"portal unreachable: {type(exc).__name__}") from exc
        if answer.status_code == 401 and path != "/links":
            self._key = None  # perhaps a new key: read the file again next time
        if answer.status_code >= 500:
            raise PortalUnavailableError(f"portal answered {answer.status_code}")
        if answer.status_code >= 400:
            try:
                code = answer.json()["errors"][0]["code"]
            except (ValueError, KeyError, IndexError, TypeError):
                code = "unknown"
            raise PortalRefusedError(answer.status_code, code)
        return answer.json() if answer.content else {}

    async def link(
        self, tenant_id: str, aad_object_id: str, username: str, code: str, request_id: str | None = None
    ) -> dict[str, Any]:
        """Links the Teams user with the portal user whose current TOTP code they gave."""
        body = {"tenant_id": tenant_id, "aad_object_id": aad_object_id, "username": username, "code": code}
        return await self._call("POST", "/links", body, request_id)

    async def unlink(self, tenant_id: str, aad_object_id: str, request_id: str | None = None) -> None:
        """Removes the Teams user's link."""
        path = f"/links/{quote(tenant_id, safe='')}/{quote(aad_object_id, safe='')}"
        await self._call("DELETE", path, request_id=request_id)

    async def chat_token(
        self, tenant_id: str, aad_object_id: str, reference: dict[str, Any], request_id: str | None = None
    ) -> TeamsChatToken:
        """A chat token for the linked user; PortalRefusedError(404, not_linked) when there is no link."""
        body = {"tenant_id": tenant_id, "aad_object_id": aad_object_id, "conversation_reference": reference}
        answer = await self._call("POST", "/chat-token", body, request_id)
        return TeamsChatToken(answer["token"], answer["conversation_id"], int(answer["expires_in"]), answer["language"])

    async def conversation_reference(self, conversation_id: str) -> dict[str, Any]:
        """Where to write into a Teams conversation, as stored at the user's latest message."""
        answer = await self._call("GET", f"/conversations/{quote(conversation_id, safe='')}")
        return answer["conversation_reference"]
