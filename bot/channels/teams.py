"""Microsoft Teams: our own Bot Framework channel at Rasa's `botframework` webhook path.

Every activity's token is verified strictly (bot/channels/botframework_auth.py). A Teams user is
unknown until linked: the connector itself asks for the portal username and a current TOTP code and
has the portal store the link. After that each message gets a fresh portal chat token for the linked
user (so a user removed from the portal loses access at once), and Rasa sees the message as the
token's conversation (`sid`) with only `{token}` as metadata, as in every other channel.

Each activity gets a request id (the caller's X-Request-ID, or a new one), as in the REST and
Socket.IO channels: it is Rasa's message id (so the actions send it on to the portal), the
connector's own calls to the portal carry it as X-Request-ID, and our JSON log lines show it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.logs import json_logger, new_request_id
from bot.channels.botframework_auth import BotFrameworkTokenVerifier, InvalidBotTokenError
from bot.channels.botframework_connector import BotConnector, BotConnectorError
from bot.channels.rest import as_plain_text
from bot.channels.teams_portal import (
    PortalRefusedError,
    PortalUnavailableError,
    TeamsPortalClient,
    default_service_key_file,
)

log = json_logger(__name__)

CHANNEL_NAME = "botframework"
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
UNLINK_COMMANDS = {"ontkoppel", "ontkoppelen", "unlink"}
TOTP_CODE = re.compile(r"^\d{6}$")
MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)

# The connector's own words, before Rasa is involved (linking); everything else is in domain.yml.
TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "nl": "Welkom! Ik ben de digitale assistent van het werkgeversportaal. Ik help u bijvoorbeeld met een "
        "salariswijziging of een uitdiensttreding. Stuur mij een bericht om te beginnen.",
        "en": "Welcome! I am the employer portal's digital assistant. I can help you with, for example, a salary "
        "change or a termination. Send me a message to start.",
    },
    "ask_username": {
        "nl": "Uw Teams-account is nog niet gekoppeld aan het werkgeversportaal. Wat is uw gebruikersnaam in het "
        "portaal?",
        "en": "Your Teams account is not linked to the employer portal yet. What is your portal username?",
    },
    "ask_code": {
        "nl": "Stuur nu de code van 6 cijfers uit uw authenticator-app.",
        "en": "Now send the 6-digit code from your authenticator app.",
    },
    "code_format": {
        "nl": "Een code bestaat uit 6 cijfers. Stuur de code die uw authenticator-app nu toont.",
        "en": "A code has 6 digits. Send the code your authenticator app shows now.",
    },
    "linked": {
        "nl": "Gekoppeld aan {name} ({username}). Waarmee kan ik u helpen?",
        "en": "Linked to {name} ({username}). How can I help you?",
    },
    "wrong_code": {
        "nl": "De gebruikersnaam of de code klopt niet. Probeer het opnieuw: wat is uw gebruikersnaam?",
        "en": "The username or code is incorrect. Let's try again: what is your portal username?",
    },
    "code_used": {
        "nl": "Deze code is al gebruikt. Wacht op de volgende code en stuur die.",
        "en": "This code has already been used. Wait for the next code and send that one.",
    },
    "locked": {
        "nl": "Te veel mislukte pogingen. Probeer het over 15 minuten opnieuw.",
        "en": "Too many failed attempts. Try again in 15 minutes.",
    },
    "not_allowed": {
        "nl": "Met dit portaalaccount kunt u de assistent niet gebruiken.",
        "en": "This portal account cannot use the assistant.",
    },
    "inactive": {
        "nl": "Uw portaalaccount kan de assistent niet (meer) gebruiken. De koppeling is verwijderd.",
        "en": "Your portal account can no longer use the assistant. The link has been removed.",
    },
    "unlinked": {
        "nl": "Uw Teams-account is ontkoppeld van het werkgeversportaal.",
        "en": "Your Teams account has been unlinked from the employer portal.",
    },
    "not_linked": {
        "nl": "Uw Teams-account was niet gekoppeld.",
        "en": "Your Teams account was not linked.",
    },
    "unavailable": {
        "nl": "Het portaal is nu niet bereikbaar. Probeer het later opnieuw.",
        "en": "The portal cannot be reached right now. Please try again later.",
    },
    "unknown_user": {
        "nl": "Ik kan u niet herkennen. Gebruik de assistent vanuit Microsoft Teams van uw organisatie.",
        "en": "I cannot recognise you. Please use the assistant from your organisation's Microsoft Teams.",
    },
}


def text(key: str, language: str, **params: str) -> str:
    """One of the connector's texts in Dutch or English."""
    return TEXTS[key][language if language == "en" else "nl"].format(**params)


def language_of(locale: object) -> str:
    """'en' for an English Teams client, Dutch otherwise (the portal's default)."""
    return "en" if isinstance(locale, str) and locale.lower().startswith("en") else "nl"


@dataclass(frozen=True)
class TeamsSettings:
    """The connector's configuration, from the environment (credentials.yml may override)."""

    app_id: str
    app_password: str
    tenant_id: str
    openid_metadata_url: str
    authority: str
    portal_url: str
    service_key_file: Path

    @classmethod
    def load(cls, credentials: dict[str, Any] | None) -> TeamsSettings:
        """Settings from credentials.yml values, else TEAMS_* / PORTAL_* environment variables."""
        given = credentials or {}

        def setting(key: str, env: str, default: str = "") -> str:
            return str(given.get(key) or os.environ.get(env) or default)

        return cls(
            app_id=setting("app_id", "TEAMS_APP_ID"),
            app_password=setting("app_password", "TEAMS_APP_PASSWORD"),
            tenant_id=setting("tenant_id", "TEAMS_TENANT_ID"),
            openid_metadata_url=setting("openid_metadata_url", "TEAMS_OPENID_METADATA_URL", DEFAULT_OPENID_METADATA_URL),
            authority=setting("authority", "TEAMS_LOGIN_AUTHORITY", DEFAULT_AUTHORITY),
            portal_url=setting("portal_url", "PORTAL_URL", "http://127.0.0.1:8000"),
            service_key_file=Path(given["service_key_file"])
            if given.get("service_key_file")
            else default_service_key_file(),
        )

    @property
    def configured(self) -> bool:
        """Whether an Azure Bot registration is configured; without it every request is refused."""
        return bool(self.app_id and self.app_password and self.tenant_id)


@dataclass(frozen=True)
class Activity:
    """What the connector reads from an incoming Bot Framework activity."""

    raw: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.raw.get("type") or "")

    @property
    def service_url(self) -> str:
        return self.raw["serviceUrl"]

    @property
    def channel_id(self) -> str:
        return str(self.raw.get("channelId") or "")

    @property
    def tenant_id(self) -> str | None:
        """Teams puts the tenant in channelData.tenant.id, and in conversation.tenantId."""
        channel_data = self.raw.get("channelData") if isinstance(self.raw.get("channelData"), dict) else {}
        tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
        value = tenant.get("id") or self._conversation.get("tenantId")
        return value if isinstance(value, str) and value else None

    @property
    def _conversation(self) -> dict[str, Any]:
        return self.raw["conversation"]

    @property
    def _user(self) -> dict[str, Any]:
        return self.raw["from"]

    @property
    def aad_object_id(self) -> str | None:
        value = self._user.get("aadObjectId")
        return value if isinstance(value, str) and value else None

    @property
    def language(self) -> str:
        return language_of(self.raw.get("locale"))

    @property
    def text(self) -> str:
        """The user's text; an Adaptive Card submit carries it in value.text; a mention of the bot is removed."""
        value = self.raw.get("text")
        if not value and isinstance(self.raw.get("value"), dict):
            value = self.raw["value"].get("text") or self.raw["value"].get("payload")
        return MENTION.sub("", value).strip() if isinstance(value, str) else ""

    def reference(self) -> dict[str, Any]:
        """Where and to whom to write back (a Bot Framework ConversationReference)."""
        user = {k: self._user[k] for k in ("id", "name", "aadObjectId") if self._user.get(k)}
        conversation = {k: self._conversation[k] for k in ("id", "conversationType", "tenantId") if k in self._conversation}
        if "tenantId" not in conversation and self.tenant_id:
            conversation["tenantId"] = self.tenant_id
        return {
            "serviceUrl": self.service_url,
            "channelId": self.channel_id,
            "conversation": conversation,
            "bot": self.raw.get("recipient") or {},
            "user": user,
            "locale": self.raw.get("locale") or "",
        }


def parse_activity(body: object) -> Activity | None:
    """The activity when the body has what every activity must have; None otherwise (400)."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"].startswith(("https://", "http://")):
        return None
    conversation, sender = body.get("conversation"), body.get("from")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return None
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), str):
        return None
    return Activity(body)


class TeamsOutput(OutputChannel):
    """Sends the assistant's messages into a Teams chat through the Bot Connector."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(
        self,
        connector: BotConnector,
        find_reference: Callable[[str], Awaitable[dict[str, Any]]],
        reply_to_id: str | None = None,
    ) -> None:
        self._connector = connector
        self._find_reference = find_reference
        self._reply_to_id = reply_to_id

    async def _send(self, recipient_id: str, activity: dict[str, Any]) -> None:
        reference = await self._find_reference(recipient_id)
        if self._reply_to_id:
            activity = {"replyToId": self._reply_to_id, **activity}
        await self._connector.send(reference, activity)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """A plain message (Teams renders the Markdown of our responses)."""
        await self._send(recipient_id, {"text": text, "textFormat": "markdown"})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """The text with suggested actions: a click sends the button's payload back as the user's text."""
        reference = await self._find_reference(recipient_id)
        actions = [
            {"type": "imBack", "title": str(button.get("title", "")), "value": str(button.get("payload", ""))}
            for button in buttons
        ]
        activity = {
            "text": text,
            "textFormat": "markdown",
            "suggestedActions": {"to": [reference["user"]["id"]], "actions": actions},
        }
        if self._reply_to_id:
            activity["replyToId"] = self._reply_to_id
        await self._connector.send(reference, activity)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """An image as an attachment."""
        await self._send(recipient_id, {"attachments": [{"contentType": "image/png", "contentUrl": image}]})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """A custom response is taken as (part of) a Bot Framework activity, e.g. an Adaptive Card attachment."""
        await self._send(recipient_id, dict(json_message))


@dataclass
class LinkDialog:
    """A Teams user in the middle of linking: the username is asked first, then the code."""

    username: str | None = None


class TeamsInput(InputChannel):
    """The Bot Framework webhook for Teams: verifies, links, and passes messages on with a chat token."""

    def __init__(self, settings: TeamsSettings) -> None:
        self.settings = settings
        self.verifier = BotFrameworkTokenVerifier(settings.app_id, settings.openid_metadata_url)
        self.connector = BotConnector(settings.app_id, settings.app_password, settings.tenant_id, settings.authority)
        self.portal = TeamsPortalClient(settings.portal_url, settings.service_key_file)
        # Teams users (tenant, aadObjectId) in the middle of linking.
        self.dialogs: dict[tuple[str, str], LinkDialog] = {}
        # Conversation id (sid) -> where to write; the portal keeps it too, for after a restart.
        self.references: dict[str, dict[str, Any]] = {}
        if not settings.configured:
            log.warning(
                "Microsoft Teams is not configured (TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID): "
                "the botframework webhook refuses every request."
            )

    @classmethod
    def name(cls) -> str:
        """Rasa's stock name, so the webhook stays at /webhooks/botframework/webhook."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """The channel with settings from credentials.yml or the environment."""
        return cls(TeamsSettings.load(credentials))

    async def find_reference(self, conversation_id: str) -> dict[str, Any]:
        """Where to write into a conversation: remembered, or from the portal (e.g. after a restart)."""
        if conversation_id not in self.references:
            self.references[conversation_id] = await self.portal.conversation_reference(conversation_id)
        return self.references[conversation_id]

    def get_output_channel(self) -> OutputChannel | None:
        """For Rasa's HTTP API (output_channel=botframework): a service-desk reply into the Teams chat."""
        return TeamsOutput(self.connector, self.find_reference) if self.settings.configured else None

    async def _say(self, activity: Activity, message: str) -> None:
        reply: dict[str, Any] = {"text": message}
        if activity.raw.get("id"):
            reply["replyToId"] = activity.raw["id"]
        await self.connector.send(activity.reference(), reply)

    async def _link_step(
        self, activity: Activity, identity: tuple[str, str], dialog: LinkDialog, request_id: str
    ) -> None:
        language, message = activity.language, activity.text
        if dialog.username is None:
            dialog.username = message.strip()[:100]
            await self._say(activity, text("ask_code", language))
            return
        code = message.replace(" ", "")
        if not TOTP_CODE.match(code):
            await self._say(activity, text("code_format", language))
            return
        try:
            linked = await self.portal.link(*identity, dialog.username, code, request_id=request_id)
        except PortalRefusedError as refused:
            await self._say(activity, self._link_refusal(refused, identity, language))
            return
        self.dialogs.pop(identity, None)
        log.info("Teams user linked to a portal account (tenant %s)", identity[0],
                 extra={"request_id": request_id, "channel": CHANNEL_NAME})
        reply = text("linked", linked.get("language") or language, name=linked["full_name"], username=linked["username"])
        await self._say(activity, reply)

    def _link_refusal(self, refused: PortalRefusedError, identity: tuple[str, str], language: str) -> str:
        if refused.code == "code_already_used":
            return text("code_used", language)  # same username, next code
        self.dialogs[identity] = LinkDialog()
        if refused.status_code == 429:
            return text("locked", language)
        if refused.status_code == 403:
            return text("not_allowed", language)
        return text("wrong_code", language)

    async def _unlink(self, activity: Activity, identity: tuple[str, str], request_id: str) -> None:
        self.dialogs.pop(identity, None)
        try:
            await self.portal.unlink(*identity, request_id=request_id)
        except PortalRefusedError:
            await self._say(activity, text("not_linked", activity.language))
            return
        await self._say(activity, text("unlinked", activity.language))

    async def _handle_message(
        self, activity: Activity, on_new_message: Callable[[UserMessage], Awaitable[Any]], request_id: str
    ) -> None:
        tenant, aad = activity.tenant_id, activity.aad_object_id
        if tenant is None or aad is None:
            await self._say(activity, text("unknown_user", activity.language))
            return
        identity = (tenant, aad)
        if not activity.text:
            return  # a file or reaction without text: nothing for the assistant to read
        if activity.text.lower().strip(" .!") in UNLINK_COMMANDS:
            await self._unlink(activity, identity, request_id)
            return
        if identity in self.dialogs:
            await self._link_step(activity, identity, self.dialogs[identity], request_id)
            return
        reference = activity.reference()
        try:
            chat = await self.portal.chat_token(tenant, aad, reference, request_id=request_id)
        except PortalRefusedError as refused:
            if refused.code == "not_linked":
                self.dialogs[identity] = LinkDialog()
                await self._say(activity, text("ask_username", activity.language))
            elif refused.status_code == 403:
                await self._say(activity, text("inactive", activity.language))
            else:
                raise PortalUnavailableError(f"chat token refused: {refused}") from refused
            return
        self.references[chat.conversation_id] = reference
        output = TeamsOutput(self.connector, self.find_reference, reply_to_id=activity.raw.get("id"))
        log.info("message received",
                 extra={"request_id": request_id, "conversation_id": chat.conversation_id, "channel": CHANNEL_NAME})
        await on_new_message(
            UserMessage(
                as_plain_text(activity.text),
                output,
                chat.conversation_id,
                input_channel=CHANNEL_NAME,
                message_id=request_id,
                metadata={"token": chat.token},
            )
        )

    async def _handle_conversation_update(self, activity: Activity) -> None:
        bot_id = (activity.raw.get("recipient") or {}).get("id")
        added = activity.raw.get("membersAdded") or []
        if any(isinstance(member, dict) and member.get("id") == bot_id for member in added):
            await self._say(activity, text("welcome", activity.language))

    async def _refusal(
        self, request: Request, request_id: str | None = None
    ) -> tuple[Activity | None, HTTPResponse | None]:
        """The verified activity, or the response that refuses the request."""
        if not self.settings.configured:
            return None, response.json({"error": "teams_not_configured"}, 401)
        if not request.headers.get("authorization"):
            return None, response.json({"error": "missing_token"}, 401)
        try:
            body = request.json
        except Exception:  # Sanic raises its own error for malformed JSON
            body = None
        activity = parse_activity(body)
        if activity is None:
            return None, response.json({"error": "bad_activity"}, 400)
        try:
            await self.verifier.verify(request.headers.get("authorization"), activity.service_url, activity.channel_id)
        except InvalidBotTokenError as error:
            log.warning("Bot Framework activity refused: %s", error.reason,
                        extra={"request_id": request_id, "channel": CHANNEL_NAME, "outcome": "refused"})
            return None, response.json({"error": "invalid_token"}, 401)
        if activity.tenant_id and activity.tenant_id != self.settings.tenant_id:
            log.warning("Bot Framework activity from another tenant refused",
                        extra={"request_id": request_id, "channel": CHANNEL_NAME, "outcome": "refused"})
            return None, response.json({"error": "wrong_tenant"}, 403)
        return activity, None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """GET / (health) and POST /webhook."""
        webhook = Blueprint(f"teams_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.configured else "not_configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            # The turn's id: in Rasa's tracker as the message id, and in every log line of the turn.
            request_id = new_request_id(request.headers.get("X-Request-ID"))
            turn = {"request_id": request_id, "channel": CHANNEL_NAME}
            activity, refusal = await self._refusal(request, request_id)
            if refusal is not None:
                return refusal
            try:
                if activity.type == "message":
                    await self._handle_message(activity, on_new_message, request_id)
                elif activity.type == "conversationUpdate":
                    await self._handle_conversation_update(activity)
            except PortalUnavailableError as error:
                log.error("Teams message not handled, portal unavailable: %s", error, extra=turn)
                await self._try_say(activity, text("unavailable", activity.language), request_id)
                return response.json({"error": "portal_unavailable"}, 503)
            except BotConnectorError as error:
                log.error("Teams reply not delivered: %s", error, extra=turn)
                return response.json({"error": "bot_connector_failed"}, 502)
            return response.json({}, 200)

        return webhook

    async def _try_say(self, activity: Activity, message: str, request_id: str) -> None:
        try:
            await self._say(activity, message)
        except BotConnectorError as error:
            log.error("Teams reply not delivered: %s", error, extra={"request_id": request_id, "channel": CHANNEL_NAME})
