"""The portal's API as the actions use it: always with the user's own chat token."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from actions.logs import json_logger
from actions.settings import SETTINGS

log = json_logger("actions.portal")

# One connection pool per action-server process: the chat token differs per request, the portal does not.
_client: httpx.AsyncClient | None = None


def _shared_client() -> httpx.AsyncClient:
    global _client
    if _client is None:
        _client = httpx.AsyncClient(
            base_url=SETTINGS.portal_url,
            timeout=SETTINGS.portal_timeout_seconds,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )
    return _client


class PortalUnavailableError(Exception):
    """The portal did not answer in time, or answered with a server error; try again later."""


@dataclass(frozen=True)
class Problem:
    """One of the portal's `{code, field, message}` errors; the message is in the user's language."""

    code: str
    field: str | None
    message: str


@dataclass(frozen=True)
class PortalAnswer:
    """The portal's status code and JSON body."""

    status: int
    body: Any = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the portal accepted the request."""
        return 200 <= self.status < 300

    def problems_for(self, *fields: str) -> list[Problem]:
        """The problems about the given fields (a dry run with some values still unknown reports more)."""
        return [p for p in self.problems if p.field in fields]


class PortalClient:
    """Calls the portal on behalf of one user, with their chat token and in their language."""

    def __init__(self, token: str, language: str, request_id: str | None = None) -> None:
        self._headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
        if request_id:
            self._headers["X-Request-ID"] = request_id

    async def _call(self, method: str, path: str, **kwargs: Any) -> PortalAnswer:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        # The path only: parameters (a search for a name or a BSN) stay out of the log.
        fields = {"request_id": self._headers.get("X-Request-ID"), "method": method, "path": path.split("?")[0]}
        started = time.perf_counter()
        try:
            response = await _shared_client().request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:  # timeouts included
            log.warning("portal unreachable", extra={**fields, "outcome": type(exc).__name__})
            raise PortalUnavailableError(f"{method} {path}: {type(exc).__name__}") from exc
        duration = round((time.perf_counter() - started) * 1000, 1)
        log.info("portal call", extra={**fields, "status": response.status_code, "duration_ms": duration})
        if response.status_code >= 500:
            raise PortalUnavailableError(f"{method} {path}: HTTP {response.status_code}")
        body = response.json() if response.content else None
        problems = []
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            problems = [Problem(e.get("code", ""), e.get("field"), e.get("message", "")) for e in body["errors"]]
        return PortalAnswer(response.status_code, body, problems)

    async def me(self) -> PortalAnswer:
        """The user the token belongs to, with roles and language preference."""
        return await self._call("GET", "/api/me")

    async def find_participants(self, query: str, page_size: int = 6) -> PortalAnswer:
        """Participants whose number starts with, or whose name contains, the query."""
        return await self._call("GET", "/api/participants", params={"q": query, "page_size": page_size})

    async def participant(self, number: str) -> PortalAnswer:
        """One participant's details (404 for a number of another employer or none at all)."""
        return await self._call("GET", f"/api/participants/{number}")

    async def individual_changes(self) -> PortalAnswer:
        """Per participant the latest submitted change ('Ingediende wijzigingen individueel')."""
        return await self._call("GET", "/api/changes/individual")

    async def collective_changes(self) -> PortalAnswer:
        """The employer's collective uploads, newest first, with status and progress."""
        return await self._call("GET", "/api/changes/collective")

    async def submit(
        self, kind: str, number: str, body: dict[str, Any], *, dry_run: bool, idempotency_key: str | None = None
    ) -> PortalAnswer:
        """A mutation (`kind`: salary-change, termination or family-members), or only its validation."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        params = {"dry_run": "true"} if dry_run else None
        return await self._call(
            "POST", f"/api/participants/{number}/{kind}", json=body, params=params, headers=headers
        )

    async def create_handoff(self, handoff: dict[str, Any]) -> PortalAnswer:
        """Hands the conversation to the service desk's queue."""
        return await self._call("POST", "/api/handoffs", json=handoff)
