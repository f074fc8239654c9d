"""The Rasa process keeps its connections to an endpoint open between requests (bot/endpoint_sessions.py)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import endpoint_sessions


async def requests_through(
    endpoint_class_session, count: int, pause_s: float = 0.0
) -> tuple[list[dict], set[tuple]]:
    """`count` POSTs through Rasa's EndpointConfig.request to a real HTTP server: the answers, and
    the client addresses the server saw (one per TCP connection)."""
    peers: set[tuple] = set()

    async def handle(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        body = await request.json()
        if body.get("fail"):
            return web.json_response({"error": "no"}, status=500)
        return web.json_response({"echo": body, "auth": request.headers.get("Authorization")})

    app = web.Application()
    app.router.add_post("/webhook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", basic_auth={"username": "u", "password": "p"})
    original = EndpointConfig.session
    EndpointConfig.session = endpoint_class_session
    try:
        answers = [await endpoint.request(json={"turn": turn}, method="post") for turn in range(count)]
        with pytest.raises(ClientResponseError):
            await endpoint.request(json={"fail": True}, method="post")
        answers.append(await endpoint.request(json={"turn": "after the error"}, method="post"))
        if pause_s:
            await asyncio.sleep(pause_s)
            answers.append(await endpoint.request(json={"turn": "after a pause"}, method="post"))
    finally:
        EndpointConfig.session = original
        for session in endpoint.__dict__.get("_shared_sessions", {}).values():
            await session.close()
        await runner.cleanup()
    return answers, peers


def test_requests_to_an_endpoint_reuse_one_connection() -> None:
    answers, peers = asyncio.run(requests_through(endpoint_sessions.shared_session, 5))
    assert [answer["echo"]["turn"] for answer in answers] == [0, 1, 2, 3, 4, "after the error"]
    assert all(answer["auth"].startswith("Basic ") for answer in answers)  # Rasa's own session settings
    assert len(peers) == 1


def test_an_idle_connection_is_given_up_before_the_action_server_would_close_it() -> None:
    answers, peers = asyncio.run(requests_through(endpoint_sessions.shared_session, 2, endpoint_sessions.KEEPALIVE_S + 1))
    assert answers[-1]["echo"]["turn"] == "after a pause"
    assert len(peers) == 2  # a new connection after the pause, not the idle one
    assert endpoint_sessions.KEEPALIVE_S < 5  # Sanic's keep-alive: the action server closes after 5 s idle


def test_rasas_own_session_opens_a_connection_per_request() -> None:
    """The comparison the fix is about: without it, each request is a new connection."""
    _, peers = asyncio.run(requests_through(endpoint_sessions._rasas_session, 5))
    assert len(peers) == 7


def test_the_rasa_process_uses_it_once_our_channels_are_loaded() -> None:
    import bot.channels  # noqa: F401  (what Rasa imports at start-up)

    assert EndpointConfig.session is endpoint_sessions.shared_session
