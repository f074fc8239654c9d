"""Verifying the Bot Framework's tokens on incoming activities (RS256 JWTs signed by Microsoft).

What Microsoft's own SDKs check, strictly: RS256 only, issuer https://api.botframework.com, audience
= our app id, an expiry, a key from the OpenID metadata's key set (fetched lazily, again on an unknown
key id), the key endorsed for the activity's channel, and the `serviceUrl` claim equal to the
activity's serviceUrl — so our app token is only ever sent to a service URL Microsoft vouched for.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

ISSUER = "https://api.botframework.com"
ALGORITHM = "RS256"
# Microsoft's SDKs allow five minutes of clock skew between their token service and the bot.
CLOCK_SKEW_SECONDS = 300
# After an unknown key id the key set is fetched again, but not more often than this.
REFRESH_INTERVAL_SECONDS = 60.0
# Keys rotate; a key set older than this is fetched again on the next request anyway.
MAX_KEY_AGE_SECONDS = 24 * 3600.0


class InvalidBotTokenError(Exception):
    """The activity's token is missing or fails one of the checks; the reason is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SigningKey:
    """One of Microsoft's public keys, and the channels it may sign for (empty: any)."""

    key: Any
    endorsements: frozenset[str]


class BotFrameworkTokenVerifier:
    """Checks the bearer token of an incoming Bot Framework activity."""

    def __init__(self, app_id: str, openid_metadata_url: str, timeout_seconds: float = 10.0) -> None:
        self._app_id = app_id
        self._metadata_url = openid_metadata_url
        self._timeout = httpx.Timeout(timeout_seconds, connect=5.0)
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch_keys(self) -> dict[str, SigningKey]:
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            metadata = await client.get(self._metadata_url)
            metadata.raise_for_status()
            jwks_uri = metadata.json()["jwks_uri"]
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise ValueError("OpenID metadata without a usable jwks_uri")
            answer = await client.get(jwks_uri)
            answer.raise_for_status()
        keys = {}
        for jwk in answer.json()["keys"]:
            if jwk.get("kty") != "RSA" or not jwk.get("kid"):
                continue
            keys[jwk["kid"]] = SigningKey(
                key=jwt.PyJWK(jwk, algorithm=ALGORITHM).key,
                endorsements=frozenset(jwk.get("endorsements") or ()),
            )
        return keys

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and (age < REFRESH_INTERVAL_SECONDS or (not force and age < MAX_KEY_AGE_SECONDS)):
                return
            self._keys = await self._fetch_keys()
            self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> SigningKey:
        try:
            await self._refresh(force=kid not in self._keys)
        except (httpx.HTTPError, KeyError, TypeError, ValueError, jwt.PyJWKError) as exc:
            # Without Microsoft's keys nothing can be verified; the caller answers 401 and we log why.
            raise InvalidBotTokenError(f"keys_unavailable: {type(exc).__name__}") from exc
        if kid not in self._keys:
            raise InvalidBotTokenError("unknown_key")
        return self._keys[kid]

    async def verify(self, authorization: str | None, service_url: str, channel_id: str) -> dict[str, Any]:
        """The token's claims if it is valid for this activity; raises InvalidBotTokenError otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidBotTokenError("missing_token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidBotTokenError("malformed_token") from exc
        # Decided before any key is looked at: "none", HS256 with the public key as secret, etc. never pass.
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise InvalidBotTokenError("wrong_algorithm")
        signing = await self._key_for(header["kid"])
        if signing.endorsements and channel_id not in signing.endorsements:
            raise InvalidBotTokenError("key_not_endorsed_for_channel")
        try:
            claims = jwt.decode(
                token,
                signing.key,
                algorithms=[ALGORITHM],
                audience=self._app_id,
                issuer=ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidBotTokenError("token_expired") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidBotTokenError(f"invalid_token: {type(exc).__name__}") from exc
        if claims.get("serviceUrl") != service_url:
            raise InvalidBotTokenError("service_url_mismatch")
        return claims
