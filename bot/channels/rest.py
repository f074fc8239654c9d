"""The REST channel (`POST /webhooks/rest/webhook`), bound to the portal's chat token.

Replaces Rasa's stock `rest` channel, which trusts whatever sender id and metadata a client sends.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.logs import json_logger, new_request_id
from bot.chat_token import ChatTokenVerifier, InvalidChatTokenError

log = json_logger("bot.channels.rest")


def as_plain_text(text: str) -> str:
    """The message as text only: a leading '/' would make Rasa read an intent and slots from it."""
    return text.lstrip().lstrip("/")


class ChatTokenRestInput(InputChannel):
    """REST input that accepts a message only with a valid chat token whose `sid` is the sender."""

    @classmethod
    def name(cls) -> str:
        """Keeps the stock URL: /webhooks/rest/webhook."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Reads the portal's URL from credentials.yml or PORTAL_URL."""
        portal_url = (credentials or {}).get("portal_url") or os.environ.get("PORTAL_URL", "http://127.0.0.1:8000")
        return cls(ChatTokenVerifier(f"{portal_url.rstrip('/')}/api/auth/jwks"))

    def __init__(self, verifier: ChatTokenVerifier) -> None:
        self.verifier = verifier

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The health and webhook routes."""
        webhook = Blueprint(f"chat_token_rest_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            if not isinstance(sender, str) or not isinstance(text, str):
                return response.json({"error": "bad_request", "detail": "sender and message are required"}, 400)
            try:
                claims = await self.verifier.verify(metadata.get("token"))
            except InvalidChatTokenError as error:
                return response.json({"error": error.reason}, 401)
            if claims["sid"] != sender:
                return response.json({"error": "sender_mismatch"}, 403)
            collector = CollectingOutputChannel()
            # The turn's id: in Rasa's tracker as the message id, and in every log line of the turn.
            request_id = new_request_id(request.headers.get("X-Request-ID"))
            log.info("message received", extra={"request_id": request_id, "conversation_id": sender, "channel": "rest"})
            # Only the verified token goes on: identity claims a client adds are dropped.
            await on_new_message(
                UserMessage(
                    as_plain_text(text),
                    collector,
                    sender,
                    input_channel=self.name(),
                    message_id=request_id,
                    metadata={"token": metadata["token"]},
                )
            )
            return response.json(collector.messages)

        return webhook
