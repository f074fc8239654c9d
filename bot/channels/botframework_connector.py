"""Writing into Teams chats through the Bot Connector, with an app token from our own tenant.

Single-tenant bots get their token from `{authority}/{tenant}/oauth2/v2.0/token`; the multi-tenant
`botframework.com` endpoint Rasa's stock channel uses is being retired.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

import httpx

SCOPE = "https://api.botframework.com/.default"
# The cached app token is renewed this long before it expires.
RENEW_MARGIN_SECONDS = 300


class BotConnectorError(Exception):
    """Microsoft's token service or the Bot Connector did not accept a request."""


class BotConnector:
    """Gets (and caches) the app token, and posts activities to a conversation."""

    def __init__(
        self, app_id: str, app_password: str, tenant_id: str, authority: str, timeout_seconds: float = 15.0
    ) -> None:
        self._app_id = app_id
        self._app_password = app_password
        self._token_url = f"{authority.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self._timeout = httpx.Timeout(timeout_seconds, connect=5.0)
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._lock = asyncio.Lock()

    async def _app_token(self) -> str:
        async with self._lock:
            if self._token and time.monotonic() < self._token_expires_at:
                return self._token
            form = {
                "grant_type": "client_credentials",
                "client_id": self._app_id,
                "client_secret": self._app_password,
                "scope": SCOPE,
            }
            try:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    answer = await client.post(self._token_url, data=form)
            except httpx.HTTPError as exc:
                raise BotConnectorError(f"token endpoint unreachable: {type(exc).__name__}") from exc
            if answer.status_code != 200:
                # The body names the problem (AADSTS code) and holds no secret.
                raise BotConnectorError(f"token endpoint answered {answer.status_code}: {answer.text[:300]}")
            body = answer.json()
            self._token = body["access_token"]
            lifetime = float(body.get("expires_in", 3600))
            self._token_expires_at = time.monotonic() + max(lifetime - RENEW_MARGIN_SECONDS, lifetime / 2)
            return self._token

    async def send(self, reference: dict[str, Any], activity: dict[str, Any]) -> dict[str, Any]:
        """Posts an activity into the referenced conversation; returns the Bot Connector's answer."""
        service_url = str(reference["serviceUrl"]).rstrip("/")
        conversation_id = quote(str(reference["conversation"]["id"]), safe="")
        url = f"{service_url}/v3/conversations/{conversation_id}/activities"
        body = {
            "type": "message",
            "from": reference.get("bot") or {"id": self._app_id},
            "recipient": reference.get("user"),
            "conversation": reference["conversation"],
            **activity,
        }
        headers = {"Authorization": f"Bearer {await self._app_token()}"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                answer = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise BotConnectorError(f"Bot Connector unreachable: {type(exc).__name__}") from exc
        if answer.status_code == 401:
            self._token = None  # a revoked or rotated token: the next call gets a new one
        if answer.status_code >= 300:
            raise BotConnectorError(f"Bot Connector answered {answer.status_code}")
        return answer.json() if answer.content else {}
