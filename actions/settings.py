"""The action server's settings, from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Where the portal is and how long to wait for it."""

    portal_url: str
    portal_timeout_seconds: float


def load() -> Settings:
    """Settings from PORTAL_URL and PORTAL_TIMEOUT_SECONDS, with local defaults."""
    return Settings(
        portal_url=os.environ.get("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/"),
        portal_timeout_seconds=float(os.environ.get("PORTAL_TIMEOUT_SECONDS", "5")),
    )


SETTINGS = load()
