"""One HTTP connection pool per endpoint for the Rasa process, instead of a new one per request.

Rasa 3.6 sends every action call through `EndpointConfig.request`, which opens a new aiohttp
`ClientSession` (and with it a new connection pool), sends one request and closes it: every call to
the action server opens a new TCP connection, and the profile of the turns benchmark shows the
session set-up and connection in every call. Here `EndpointConfig.session` hands out one session
per endpoint and event loop, with the settings of Rasa's own `session()` (same headers,
authentication and timeout; only the connector is ours, for its keep-alive), that stays open for
the next request, so the connections to the action server are kept alive and reused. Rasa uses `session()` only as `async with endpoint.session() as session:`.

An idle connection is given up after KEEPALIVE_S, before the action server (Sanic, keep-alive 5 s)
closes it from its side, so a request is never sent on a connection the server is closing.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

_rasas_session = EndpointConfig.session  # Rasa's own, a session per request (the tests compare)
KEEPALIVE_S = 2.0


class _Borrowed:
    """`async with` on a shared session: it is not closed at the end of the block."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """A session as Rasa's `EndpointConfig.session` makes it (headers, basic auth, timeout), pooled."""
    auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"]) if endpoint.basic_auth else None
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
    )


def shared_session(endpoint: EndpointConfig) -> _Borrowed:
    """This endpoint's session on the running event loop, made on first use (Rasa's own settings)."""
    loop = asyncio.get_running_loop()
    sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]
    sessions = endpoint.__dict__.setdefault("_shared_sessions", weakref.WeakKeyDictionary())
    session = sessions.get(loop)
    if session is None or session.closed:
        session = new_session(endpoint)
        sessions[loop] = session
    return _Borrowed(session)


def install() -> None:
    """Makes every endpoint of this Rasa process keep its session (and connections) open."""
    EndpointConfig.session = shared_session  # type: ignore[method-assign]
