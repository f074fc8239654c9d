"""The widget's Socket.IO channel against the real Rasa server, portal and chat tokens.

The client speaks the protocol as rasa-webchat 1.0.1 does: `session_request {session_id}` after
connecting, then `user_uttered {message, customData, session_id}`; replies come as `bot_uttered`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import jwt
import pytest
import socketio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests import rasa_api

ALLOWED_ORIGIN = "http://127.0.0.1:8000"
# Rasa with the trained model answers within seconds; the margin is for a busy CI machine.
REPLY_TIMEOUT_S = 45.0
# How long we watch for something that must not happen.
QUIET_S = 6.0


def chat_token(portal: Any, username: str = "demo.hr", conversation_id: str | None = None) -> tuple[str, str]:
    """A real chat token from the portal and its conversation id."""
    body = {"conversation_id": conversation_id} if conversation_id else None
    with portal.client() as client:
        issued = client.post("/api/chat/token", headers=portal.headers(username), json=body)
    assert issued.status_code == 200, issued.text
    return issued.json()["token"], issued.json()["conversation_id"]


def resigned(portal: Any, token: str, **changes: Any) -> str:
    """The token's claims with `changes`, signed again with the portal's own key (to make it expired)."""
    key = serialization.load_pem_private_key((portal.data_dir / "keys" / "jwt-es256.pem").read_bytes(), None)
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


def expired(portal: Any, token: str) -> str:
    """The same chat token, by the same key, but expired a minute ago."""
    now = datetime.now(timezone.utc)
    return resigned(portal, token, iat=int((now - timedelta(minutes=20)).timestamp()),
                    nbf=int((now - timedelta(minutes=20)).timestamp()), exp=int((now - timedelta(minutes=1)).timestamp()))


def forged(token: str) -> str:
    """The same claims and key id, signed by a key that is not the portal's."""
    claims = jwt.decode(token, options={"verify_signature": False})
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


class Widget:
    """A Socket.IO client that talks like rasa-webchat and records every event it receives."""

    def __init__(self, rasa_url: str, token: str | None, renewed_token: str | None = None) -> None:
        self.rasa_url = rasa_url
        self.token = token
        # What the "page" answers when the server asks for a token (token_request / token_expired).
        self.renewed_token = renewed_token
        self.events: list[tuple[str, Any]] = []
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("*", self._record)
        self.client.on("token_request", self._token_request)
        self.client.on("token_expired", self._token_expired)

    async def _record(self, event: str, *args: Any) -> None:
        self.events.append((event, args[0] if args else None))

    async def _token_request(self, data: Any) -> dict[str, str] | None:
        self.events.append(("token_request", data))
        return {"token": self.renewed_token or self.token} if (self.renewed_token or self.token) else None

    async def _token_expired(self, data: Any) -> dict[str, str] | None:
        self.events.append(("token_expired", data))
        if self.renewed_token is None:
            return None
        self.token = self.renewed_token  # the page renews customData.token in place
        return {"token": self.renewed_token}

    async def connect(self, origin: str = ALLOWED_ORIGIN, auth: dict | None = None) -> None:
        # Long-polling only: python-engineio's client websocket needs aiohttp >= 3.10, Rasa 3.6 pins 3.9.
        # (The browser test covers the websocket upgrade.)
        await self.client.connect(
            self.rasa_url,
            headers={"Origin": origin},
            socketio_path="/socket.io",
            transports=["polling"],
            auth=auth,
            wait_timeout=15,
        )

    def custom_data(self) -> dict[str, Any]:
        return {"token": self.token} if self.token else {}

    async def request_session(self, session_id: str | None = None) -> None:
        # rasa-webchat sends only the session id it stored; no credentials.
        await self.client.emit("session_request", {"session_id": session_id})

    async def say(self, message: str, session_id: str | None = None, **custom: Any) -> None:
        await self.client.emit(
            "user_uttered", {"message": message, "customData": {**self.custom_data(), **custom}, "session_id": session_id}
        )

    def received(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    def texts(self) -> list[str]:
        return [data.get("text", "") for data in self.received("bot_uttered") if isinstance(data, dict)]

    async def wait_for(self, event: str, count: int = 1, timeout: float = REPLY_TIMEOUT_S) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.received(event)) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"no {event!r} within {timeout:.0f} s; received: {self.events}")
            await asyncio.sleep(0.1)
        return self.received(event)

    async def wait_for_replies(self, timeout: float = REPLY_TIMEOUT_S) -> list[str]:
        """Waits for a reply, then a moment for the rest of the turn."""
        await self.wait_for("bot_uttered", timeout=timeout)
        await asyncio.sleep(1.5)
        return self.texts()

    async def close(self) -> None:
        # Closing the engine.io connection ends the socket.io session too; without `abort` the client
        # waits for its pending long-poll request to time out (25 s) before returning.
        if self.client.connected:
            await self.client.eio.disconnect(abort=True)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def tracker(rasa_url: str, portal: Any, conversation_id: str) -> dict:
    answer = httpx.get(
        f"{rasa_url}/conversations/{conversation_id}/tracker", headers=rasa_api.headers(portal, conversation_id),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_greeting_gets_the_reply_in_the_tokens_conversation(rasa_url: str, portal: Any) -> None:
    token, conversation_id = chat_token(portal)

    async def scenario() -> None:
        widget = Widget(rasa_url, token)
        try:
            await widget.connect()
            # The client asks for a session id of its own choosing; the token's sid wins.
            await widget.client.emit(
                "session_request", {"session_id": "chosen-by-the-client", "customData": {"token": token}}
            )
            assert (await widget.wait_for("session_confirm"))[0] == conversation_id
            await widget.say("hallo", session_id="chosen-by-the-client")
            assert "Waarmee kan ik u" in "\n".join(await widget.wait_for_replies())
        finally:
            await widget.close()

    run(scenario)
    events = tracker(rasa_url, portal, conversation_id)["events"]
    user_events = [event for event in events if event["event"] == "user"]
    assert [event["text"] for event in user_events] == ["hallo"]
    assert user_events[0]["input_channel"] == "socketio"
    assert not any(event["event"] == "user" for event in tracker(rasa_url, portal, "chosen-by-the-client")["events"] or [])


def test_replies_reach_every_socket_in_the_conversations_room(rasa_url: str, portal: Any) -> None:
    """rasa#13027: the stock channel never awaits enter_room, so with session persistence nothing arrives."""
    token, conversation_id = chat_token(portal)

    async def scenario() -> None:
        # The page asks for the session without a token (as rasa-webchat does) and is asked for one.
        typing, watching = Widget(rasa_url, token), Widget(rasa_url, token)
        try:
            for widget in (typing, watching):
                await widget.connect()
                await widget.request_session()
                assert (await widget.wait_for("session_confirm"))[0] == conversation_id
                assert widget.received("token_request")
            await typing.say("hallo")
            # `watching` never sent a message: only room membership can bring it the reply.
            assert "Waarmee kan ik u" in "\n".join(await watching.wait_for_replies())
            assert "Waarmee kan ik u" in "\n".join(await typing.wait_for_replies())
        finally:
            await typing.close()
            await watching.close()

    run(scenario)


@pytest.mark.parametrize("kind", ["missing", "forged", "access_token", "garbage"])
def test_a_message_without_a_valid_token_is_refused(rasa_url: str, portal: Any, kind: str) -> None:
    token, conversation_id = chat_token(portal)
    presented = {
        "missing": None,
        "forged": forged(token),
        # A real portal token, but for the API (audience `access`), not for chat.
        "access_token": portal.login("demo.hr"),
        "garbage": "not-a-jwt",
    }[kind]

    async def scenario() -> None:
        widget = Widget(rasa_url, presented)
        try:
            await widget.connect()
            await widget.say("hallo", session_id=conversation_id)
            error = (await widget.wait_for("error"))[0]
            assert error["code"] in {"missing_token", "invalid_token", "malformed_token", "unknown_key"}
            assert "Vernieuw de pagina" in error["message"]
            await asyncio.sleep(QUIET_S)
            assert widget.received("bot_uttered") == []
            assert widget.received("session_confirm") == []
        finally:
            await widget.close()

    run(scenario)
    assert not any(event["event"] == "user" for event in tracker(rasa_url, portal, conversation_id)["events"] or [])


def test_a_session_request_without_a_valid_token_joins_no_room(rasa_url: str, portal: Any) -> None:
    token, conversation_id = chat_token(portal)

    async def scenario() -> None:
        owner, intruder = Widget(rasa_url, token), Widget(rasa_url, forged(token))
        try:
            await owner.connect()
            await intruder.connect()
            await intruder.client.emit(
                "session_request", {"session_id": conversation_id, "customData": {"token": intruder.token}}
            )
            assert (await intruder.wait_for("error"))[0]["code"] == "invalid_token"
            await owner.say("hallo")
            await owner.wait_for_replies()
            await asyncio.sleep(2)
            assert intruder.received("bot_uttered") == []
            assert intruder.received("session_confirm") == []
        finally:
            await owner.close()
            await intruder.close()

    run(scenario)


def test_an_expired_token_is_not_used_and_the_page_is_asked_to_renew(rasa_url: str, portal: Any) -> None:
    token, conversation_id = chat_token(portal)
    stale = expired(portal, token)

    async def scenario() -> None:
        widget = Widget(rasa_url, stale)  # this page cannot renew
        try:
            await widget.connect()
            await widget.say("hallo", session_id=conversation_id)
            notice = (await widget.wait_for("token_expired"))[0]
            assert notice["code"] == "token_expired"
            assert notice["message"] == "Je sessie is verlopen, een moment..."
            assert (await widget.wait_for("error", timeout=30))[0]["code"] == "missing_token"
            assert widget.received("bot_uttered") == []
        finally:
            await widget.close()

    run(scenario)
    assert not any(event["event"] == "user" for event in tracker(rasa_url, portal, conversation_id)["events"] or [])


def test_after_renewal_in_place_the_message_is_answered(rasa_url: str, portal: Any) -> None:
    token, conversation_id = chat_token(portal)
    renewed, same_conversation = chat_token(portal, conversation_id=conversation_id)
    assert same_conversation == conversation_id

    async def scenario() -> None:
        widget = Widget(rasa_url, expired(portal, token), renewed_token=renewed)
        try:
            await widget.connect()
            await widget.say("hallo")
            await widget.wait_for("token_expired")
            assert "Waarmee kan ik u" in "\n".join(await widget.wait_for_replies())
            assert (await widget.wait_for("session_confirm"))[0] == conversation_id
            # The next message carries the renewed token; no further renewal is needed.
            await widget.say("dank je wel")
            await widget.wait_for("bot_uttered", count=2)
            assert len(widget.received("token_expired")) == 1
        finally:
            await widget.close()

    run(scenario)
    user_texts = [e["text"] for e in tracker(rasa_url, portal, conversation_id)["events"] if e["event"] == "user"]
    assert user_texts == ["hallo", "dank je wel"]


def test_another_users_token_cannot_join_or_read_the_conversation(rasa_url: str, portal: Any) -> None:
    victim_token, victim_conversation = chat_token(portal, "demo.hr")
    other_token, other_conversation = chat_token(portal, "demo.finance")

    async def scenario() -> None:
        victim, other = Widget(rasa_url, victim_token), Widget(rasa_url, other_token)
        try:
            await victim.connect()
            await other.connect()
            await victim.request_session()
            await victim.wait_for("session_confirm")
            # The other user asks for the victim's conversation id: they get their own.
            await other.client.emit(
                "session_request", {"session_id": victim_conversation, "customData": {"token": other_token}}
            )
            assert (await other.wait_for("session_confirm"))[0] == other_conversation
            # Claiming the victim's identity in customData changes nothing either.
            await other.say("hallo", session_id=victim_conversation, username="demo.hr", sid=victim_conversation)
            await other.wait_for_replies()
            await victim.say("uitdiensttreding voor 2001685")
            victim_replies = await victim.wait_for_replies()
            await asyncio.sleep(2)
            assert not set(victim_replies) & set(other.texts()), other.texts()
            assert len(victim.texts()) == len(victim_replies)
        finally:
            await victim.close()
            await other.close()

    run(scenario)
    victim_texts = [e["text"] for e in tracker(rasa_url, portal, victim_conversation)["events"] if e["event"] == "user"]
    other_events = [e for e in tracker(rasa_url, portal, other_conversation)["events"] if e["event"] == "user"]
    assert victim_texts == ["uitdiensttreding voor 2001685"]
    assert [e["text"] for e in other_events] == ["hallo"]
    # Only the token goes on as metadata, and the tracker store drops it when it stores the turn (Rasa adds
    # its own ids): the identity the client added is not stored, nor the token.
    metadata = other_events[0]["metadata"]
    assert set(metadata) - {"assistant_id", "model_id"} == set()
    assert other_token not in json.dumps(tracker(rasa_url, portal, other_conversation))


def test_slash_commands_are_text(rasa_url: str, portal: Any) -> None:
    token, conversation_id = chat_token(portal)

    async def scenario() -> None:
        widget = Widget(rasa_url, token)
        try:
            await widget.connect()
            await widget.request_session()
            await widget.wait_for("session_confirm")
            await widget.say("uitdiensttreding voor 2001685")
            await widget.wait_for_replies()
            for message in ("/restart", '/affirm{"confirmation": true}'):
                count = len(widget.received("bot_uttered"))
                await widget.say(message)
                await widget.wait_for("bot_uttered", count=count + 1)
                await asyncio.sleep(1.5)
        finally:
            await widget.close()

    run(scenario)
    state = tracker(rasa_url, portal, conversation_id)
    assert not any(event["event"] == "restart" for event in state["events"])
    assert state["slots"]["confirmation"] is None
    user_texts = [e["text"] for e in state["events"] if e["event"] == "user"]
    assert user_texts[-2:] == ["restart", 'affirm{"confirmation": true}']
    assert user_texts[0] == "uitdiensttreding voor 2001685"


def test_a_page_from_another_origin_cannot_connect(rasa_url: str, portal: Any) -> None:
    token, _ = chat_token(portal)

    async def scenario() -> None:
        widget = Widget(rasa_url, token)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await widget.connect(origin="https://evil.example")
        await widget.close()

    run(scenario)


def test_messages_sent_through_the_http_api_reach_the_room(rasa_url: str, portal: Any) -> None:
    """The service desk's replies go through Rasa's HTTP API with output_channel=socketio."""
    token, conversation_id = chat_token(portal)

    async def scenario() -> None:
        widget = Widget(rasa_url, token)
        try:
            await widget.connect()
            await widget.request_session()
            await widget.wait_for("session_confirm")
            await widget.say("hallo")
            greeting = len(await widget.wait_for_replies())
            async with httpx.AsyncClient(timeout=30) as client:
                answer = await client.post(
                    f"{rasa_url}/conversations/{conversation_id}/execute",
                    params={"output_channel": "socketio"},
                    headers=rasa_api.headers(portal, conversation_id),
                    json={"name": "utter_ask_relation"},
                )
            assert answer.status_code == 200, answer.text
            message = (await widget.wait_for("bot_uttered", count=greeting + 1))[greeting]
            assert message["text"] == "Gaat het om een partner of om een kind?"
            assert [reply["title"] for reply in message["quick_replies"]] == ["Partner", "Kind"]
        finally:
            await widget.close()

    run(scenario)
