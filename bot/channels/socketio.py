"""The Socket.IO channel of the portal's chat widget (rasa-webchat 1.0.1), bound to the portal's chat token.

Replaces Rasa's stock `socketio` channel, which lets the client choose the conversation id and does not
await `enter_room` (rasa#13027: with session persistence, replies never arrive). Here:

- every message is checked with the portal's chat token (signature, audience, expiry);
- the conversation id (Rasa sender id) is the token's `sid`, whatever `session_id` the client sends;
- a socket joins the room of that conversation only after the check, and only that one room;
- only `{token}` goes on as message metadata; a leading '/' is text, not an intent with slots.

rasa-webchat's socket.io protocol carries no credentials at connect or in `session_request`, only
`customData` with each `user_uttered`. So when a `session_request` has no token, the server asks the
page for one with a `token_request` event and a socket.io acknowledgement; the page (chat.js) answers
with its current token. An expired token is answered the same way with `token_expired` (and a message
the page can show): nothing is processed with the expired token, the page renews the token in place and
acknowledges with the new one, and only then is the message processed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer
from socketio.exceptions import TimeoutError as AcknowledgementTimeout

from actions.logs import json_logger, new_request_id
from bot.channels.rest import as_plain_text
from bot.chat_token import ChatTokenVerifier, InvalidChatTokenError

logger = logging.getLogger(__name__)
log = json_logger("bot.channels.socketio")

DEFAULT_ALLOWED_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
# How long the server waits for the page to hand over a (renewed) token.
TOKEN_ANSWER_TIMEOUT_SECONDS = 15.0
# The containers in which clients send the token: rasa-webchat's `customData` (each user_uttered),
# its `authData` (session_request of its other protocol) and Rasa's own `metadata`.
TOKEN_CONTAINERS = ("customData", "authData", "metadata")

# The channel's own user-facing texts (the events the page shows while it recovers).
TEXTS: dict[str, dict[str, str]] = {
    "token_expired": {
        "nl": "Je sessie is verlopen, een moment...",
        "en": "Your session has expired, one moment...",
    },
    "not_verified": {
        "nl": "Dit gesprek kon niet worden bevestigd. Vernieuw de pagina.",
        "en": "This conversation could not be verified. Please refresh the page.",
    },
}


def text_for(key: str, language: str) -> str:
    """The text in the user's language (Dutch unless English)."""
    return TEXTS[key]["en" if language == "en" else "nl"]


def token_in(data: object) -> str | None:
    """The chat token a client put in an event's payload, if any."""
    if not isinstance(data, dict):
        return None
    for container in TOKEN_CONTAINERS:
        value = data.get(container)
        if isinstance(value, dict) and isinstance(value.get("token"), str) and value["token"]:
            return value["token"]
    return None


def token_in_answer(answer: object) -> str | None:
    """The token from the page's acknowledgement: `{token}` or the bare token."""
    if isinstance(answer, str) and answer:
        return answer
    if isinstance(answer, dict) and isinstance(answer.get("token"), str) and answer["token"]:
        return answer["token"]
    return None


def language_of(environ: dict[str, Any]) -> str:
    """The browser's language until a token tells the user's portal language."""
    return "en" if environ.get("HTTP_ACCEPT_LANGUAGE", "").lower().startswith("en") else "nl"


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RoomOutput(SocketIOOutput):
    """Rasa's socket.io output, sent to the conversation's room (named after the token's `sid`)."""

    async def _send_message(self, socket_id: str, response: Any) -> None:
        # Rasa calls the recipient `socket_id`; here it is the conversation id, i.e. the room.
        await self.sio.emit(self.bot_message_evt, response, to=socket_id)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """The custom payload as the message (the stock channel spreads it into emit's arguments)."""
        await self._send_message(recipient_id, json_message)


class ChatTokenSocketIOInput(InputChannel):
    """Socket.IO input that accepts a message only with a valid chat token, as that token's conversation."""

    @classmethod
    def name(cls) -> str:
        """The stock name, so that `output_channel=socketio` and the widget's settings stay as documented."""
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Reads allowed origins and the portal's URL from credentials.yml (PORTAL_URL as fallback)."""
        credentials = credentials or {}
        portal_url = credentials.get("portal_url") or os.environ.get("PORTAL_URL", "http://127.0.0.1:8000")
        origins = credentials.get("cors_allowed_origins") or DEFAULT_ALLOWED_ORIGINS
        return cls(
            ChatTokenVerifier(f"{portal_url.rstrip('/')}/api/auth/jwks"),
            # The portal that issues the tokens hosts the widget, so its own origin is always allowed.
            allowed_origins=[*origins, origin_of(portal_url)],
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            redis_url=credentials.get("redis_url") or os.environ.get("SOCKETIO_REDIS_URL") or None,
        )

    def __init__(
        self,
        verifier: ChatTokenVerifier,
        allowed_origins: Iterable[str] = DEFAULT_ALLOWED_ORIGINS,
        socketio_path: str = "/socket.io",
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        redis_url: str | None = None,
    ) -> None:
        self.verifier = verifier
        # With several Rasa processes, a message sent through one process's HTTP API (the service desk)
        # must reach a widget connected to another: their Socket.IO servers share a Redis queue.
        self.redis_url = redis_url
        self.allowed_origins = sorted({origin.rstrip("/") for origin in allowed_origins})
        if "*" in self.allowed_origins:
            raise ValueError("cors_allowed_origins must list the portal's origins explicitly, not '*'.")
        self.socketio_path = socketio_path
        self.user_message_evt = user_message_evt
        self.bot_message_evt = bot_message_evt
        self.sio: AsyncServer | None = None

    def get_output_channel(self) -> OutputChannel | None:
        """Sends to a conversation's room; used for messages sent through Rasa's HTTP API (service desk)."""
        if self.sio is None:
            return None
        return RoomOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The health route and the Socket.IO server with its event handlers."""
        manager = AsyncRedisManager(self.redis_url) if self.redis_url else None
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.allowed_origins, client_manager=manager)
        self.sio = sio
        webhook = SocketBlueprint(sio, self.socketio_path, f"chat_token_socketio_{id(self)}", __name__)
        conversations = _Conversations(sio, self.verifier)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect")
        async def connect(socket_id: str, environ: dict[str, Any], auth: object = None) -> bool:
            # Allowed origins are enforced by the server before this; the token is checked on use.
            connect_token = auth.get("token") if isinstance(auth, dict) else None
            await sio.save_session(
                socket_id,
                {"conversation_id": None, "language": language_of(environ), "connect_token": connect_token},
            )
            return True

        @sio.on("session_request")
        async def session_request(socket_id: str, data: object = None) -> None:
            token = token_in(data) or await conversations.connect_token(socket_id)
            if token is None:
                token = token_in_answer(await conversations.ask(socket_id, "token_request", {}))
            verified = await conversations.verify(socket_id, token)
            if verified is not None:
                await conversations.bind(socket_id, verified[0], confirm=True)

        @sio.on(self.user_message_evt)
        async def user_uttered(socket_id: str, data: object = None) -> None:
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                return
            token = token_in(data) or await conversations.connect_token(socket_id)
            verified = await conversations.verify(socket_id, token)
            if verified is None:
                return
            claims, token = verified
            if not await conversations.bind(socket_id, claims, confirm=False):
                return
            request_id = new_request_id()
            log.info("message received", extra={"request_id": request_id, "conversation_id": claims["sid"],
                                                 "channel": "socketio"})
            # Only the verified token goes on: identity data a client adds to customData is dropped.
            await on_new_message(
                UserMessage(
                    as_plain_text(text),
                    RoomOutput(sio, self.bot_message_evt),
                    claims["sid"],
                    input_channel=self.name(),
                    message_id=request_id,
                    metadata={"token": token},
                )
            )

        return webhook


class _Conversations:
    """Which conversation each socket belongs to, and the token checks that decide it."""

    def __init__(self, sio: AsyncServer, verifier: ChatTokenVerifier) -> None:
        self.sio = sio
        self.verifier = verifier

    async def connect_token(self, socket_id: str) -> str | None:
        """The token a client gave in the connect `auth` payload, if any."""
        return (await self.sio.get_session(socket_id)).get("connect_token")

    async def language(self, socket_id: str) -> str:
        """The user's language: from the last valid token, or the browser's before that."""
        return (await self.sio.get_session(socket_id)).get("language", "nl")

    async def ask(self, socket_id: str, event: str, payload: dict[str, Any]) -> object:
        """Emits an event the page acknowledges (with a token); None when it does not answer in time."""
        try:
            return await self.sio.call(event, payload, to=socket_id, timeout=TOKEN_ANSWER_TIMEOUT_SECONDS)
        except AcknowledgementTimeout:
            return None

    async def refuse(self, socket_id: str, reason: str) -> None:
        """Tells the client why nothing happened; the reason code, never the token, goes to the log."""
        logger.info("Socket.IO message refused: %s", reason)
        message = text_for("not_verified", await self.language(socket_id))
        await self.sio.emit("error", {"code": reason, "message": message}, to=socket_id)

    async def verify(self, socket_id: str, token: str | None) -> tuple[dict[str, Any], str] | None:
        """The claims and token of a valid chat token; an expired one is renewed by the page once."""
        try:
            return await self.verifier.verify(token), token
        except InvalidChatTokenError as error:
            if error.reason != "token_expired":
                await self.refuse(socket_id, error.reason)
                return None
        message = text_for("token_expired", await self.language(socket_id))
        fresh = token_in_answer(await self.ask(socket_id, "token_expired", {"code": "token_expired", "message": message}))
        try:
            return await self.verifier.verify(fresh), fresh
        except InvalidChatTokenError as error:
            await self.refuse(socket_id, error.reason)
            return None

    async def bind(self, socket_id: str, claims: dict[str, Any], *, confirm: bool) -> bool:
        """Joins the socket to the token's conversation; a socket never switches conversations."""
        session = await self.sio.get_session(socket_id)
        bound, conversation_id = session.get("conversation_id"), claims["sid"]
        if bound is not None and bound != conversation_id:
            await self.refuse(socket_id, "conversation_mismatch")
            return False
        if bound is None:
            # Awaited: AsyncServer.enter_room is a coroutine (not awaited in Rasa 3.6's channel, rasa#13027).
            await self.sio.enter_room(socket_id, conversation_id)
            session["conversation_id"] = conversation_id
        session["language"] = claims.get("lang") or session.get("language", "nl")
        await self.sio.save_session(socket_id, session)
        if confirm or bound is None:
            await self.sio.emit("session_confirm", conversation_id, to=socket_id)
        return True
