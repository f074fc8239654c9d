"""The service credential of the channel connectors: a random key in a file, sent as a bearer token."""

from __future__ import annotations

import hmac
import os
import secrets
from functools import lru_cache

from fastapi import Request

from portal.config import get_settings
from portal.errors import N_, unauthorized


@lru_cache
def channel_service_key() -> str:
    """The key from its file; created once (mode 600) when missing, like the token-signing key."""
    path = get_settings().channel_service_key_path
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: when two processes start at once, one creates the key and the other reads it.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key (at least 32 characters); remove it to have a new one made.")
    return key


def require_channel_service(request: Request) -> None:
    """Lets only a connector with the service key through; user tokens are refused here."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    presented = token.strip().encode()
    # compare_digest: the time taken says nothing about how much of the key was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented, channel_service_key().encode()):
        raise unauthorized(
            "invalid_service_credential", N_("This endpoint is only for the portal's chat channel connectors.")
        )
