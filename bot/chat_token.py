"""Verifying the portal's chat tokens (ES256 JWTs, audience `chat`) with the portal's published key."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

AUDIENCE = "chat"
ISSUER = "werkgeversportaal"
# After an unknown key id, the key set is fetched again, but not more often than this.
REFRESH_INTERVAL_SECONDS = 30.0


class InvalidChatTokenError(Exception):
    """The token is missing, malformed, expired, signed with another key or meant for another audience."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChatTokenVerifier:
    """Checks signature, audience, issuer, expiry and the conversation id claim of chat tokens."""

    def __init__(self, jwks_url: str, timeout_seconds: float = 5.0) -> None:
        self._jwks_url = jwks_url
        self._timeout = timeout_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < REFRESH_INTERVAL_SECONDS and self._keys:
                return
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self._jwks_url)
                response.raise_for_status()
            self._keys = {jwk["kid"]: jwt.PyJWK(jwk).key for jwk in response.json()["keys"] if jwk.get("kid")}
            self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> Any:
        if kid not in self._keys:
            try:
                await self._refresh()
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                raise InvalidChatTokenError("keys_unavailable") from exc
        if kid not in self._keys:
            raise InvalidChatTokenError("unknown_key")
        return self._keys[kid]

    async def verify(self, token: object) -> dict[str, Any]:
        """The token's claims if it is a valid chat token; raises InvalidChatTokenError otherwise."""
        if not isinstance(token, str) or not token:
            raise InvalidChatTokenError("missing_token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidChatTokenError("malformed_token") from exc
        if header.get("alg") != "ES256" or not header.get("kid"):
            raise InvalidChatTokenError("malformed_token")
        key = await self._key_for(header["kid"])
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["ES256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "sid"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidChatTokenError("token_expired") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidChatTokenError("invalid_token") from exc
