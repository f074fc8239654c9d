"""A local stand-in for Microsoft's side of a Teams bot, speaking the real protocol on 127.0.0.1.

It serves what the Bot Framework serves: OpenID metadata and a key set (login.botframework.com), the
tenant's token endpoint (login.microsoftonline.com/{tenant}/oauth2/v2.0/token, client credentials),
and the Bot Connector (`POST /v3/conversations/{id}/activities`, bearer app token required), whose
received activities it records. Like the Teams service, it signs real RS256 Bot Framework tokens for
the activities it sends to the bot. `relay_to` makes it forward unsigned activities (from
offline-directline) to the bot with a token, as Microsoft's channel service would.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"
ENDORSED_CHANNELS = ["msteams", "directline", "webchat", "emulator"]


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TeamsUser:
    """A Teams user in the stand-in's tenant, with their personal chat with the bot."""

    name: str
    tenant_id: str
    aad_object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_id: str = field(default_factory=lambda: f"29:{uuid.uuid4().hex}")
    conversation_id: str = field(default_factory=lambda: f"a:1{uuid.uuid4().hex};messageid=1")
    locale: str = "nl-NL"


@dataclass
class Microsoft:
    """The running stand-in: its URL, the bot's registration, and what the Bot Connector received."""

    app_id: str
    app_password: str
    tenant_id: str
    key: rsa.RSAPrivateKey = field(default_factory=new_rsa_key)
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    key_set_requests: int = 0
    app_tokens: set[str] = field(default_factory=set)
    # Where relayed (unsigned) activities go: the bot's webhook URL; and the Entra ID user the Web Chat
    # user is signed in as (Microsoft's channel adds tenant and aadObjectId for Teams users).
    relay_to: str | None = None
    relay_user: TeamsUser | None = None
    relay_answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def service_url(self) -> str:
        """The Bot Connector's base URL, as it appears in activities (serviceUrl)."""
        return f"{self.url}/"

    def jwk(self) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "endorsements": ENDORSED_CHANNELS}

    def sign(
        self,
        service_url: str | None = None,
        *,
        key: Any = None,
        kid: str | None = None,
        algorithm: str = "RS256",
        lifetime: int = 3600,
        omit: tuple[str, ...] = (),
        **overrides: Any,
    ) -> str:
        """A Bot Framework token as the channel service signs it; every part can be spoiled for a test."""
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": self.app_id,
            "serviceUrl": service_url or self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + lifetime,
            **overrides,
        }
        for name in omit:
            claims.pop(name, None)
        return jwt.encode(claims, key if key is not None else self.key, algorithm=algorithm,
                          headers={"kid": kid or self.kid})

    def activity(self, user: TeamsUser, text: str | None = None, **extra: Any) -> dict[str, Any]:
        """A Teams message activity from the user to the bot (personal chat)."""
        body = {
            "type": "message",
            "id": uuid.uuid4().hex,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": user.user_id, "name": user.name, "aadObjectId": user.aad_object_id},
            "conversation": {"id": user.conversation_id, "conversationType": "personal", "tenantId": user.tenant_id},
            "recipient": {"id": f"28:{self.app_id}", "name": "Werkgeversportaal"},
            "locale": user.locale,
            "channelData": {"tenant": {"id": user.tenant_id}},
        }
        if text is not None:
            body["text"] = text
        return {**body, **extra}

    def bot_added(self, user: TeamsUser) -> dict[str, Any]:
        """The conversationUpdate Teams sends when the user adds the bot."""
        body = self.activity(user, type="conversationUpdate")
        body["membersAdded"] = [{"id": body["recipient"]["id"]}, {"id": user.user_id}]
        return body

    def post(
        self, webhook: str, activity: dict[str, Any], token: str | None = None, request_id: str | None = None
    ) -> httpx.Response:
        """Delivers an activity to the bot with a valid token (or the one given), and an X-Request-ID if given."""
        token = token if token is not None else self.sign(activity.get("serviceUrl"))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if request_id:
            headers["X-Request-ID"] = request_id
        return httpx.post(webhook, json=activity, headers=headers, timeout=120)

    def replies(self, user: TeamsUser, since: int = 0) -> list[dict[str, Any]]:
        """What the bot posted into the user's conversation (from index `since` of everything received)."""
        with self.lock:
            return [a for a in self.received[since:] if a["conversation"]["id"] == user.conversation_id]

    def mark(self) -> int:
        """The number of activities received so far, to read only the newer ones later."""
        with self.lock:
            return len(self.received)


def _handler(ms: Microsoft) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet test output
            pass

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urlparse(self.path).path
            if path == "/v1/.well-known/openidconfiguration":
                self._json(200, {
                    "issuer": ISSUER,
                    "jwks_uri": f"{ms.url}/v1/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                })
            elif path == "/v1/keys":
                with ms.lock:
                    ms.key_set_requests += 1
                self._json(200, {"keys": [ms.jwk()]})
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            path = urlparse(self.path).path
            parts = path.strip("/").split("/")
            if path == f"/{ms.tenant_id}/oauth2/v2.0/token":
                self._token(parse_qs(self._body().decode()))
            elif len(parts) >= 4 and parts[:2] == ["v3", "conversations"] and parts[3] == "activities":
                self._activity(unquote(parts[2]))
            elif parts[:1] == ["relay"] and ms.relay_to:
                self._relay()
            else:
                self._json(404, {"error": "not_found"})

        def _token(self, form: dict[str, list[str]]) -> None:
            given = {k: v[0] for k, v in form.items()}
            if given.get("grant_type") != "client_credentials" or given.get("scope") != SCOPE:
                self._json(400, {"error": "invalid_request"})
                return
            if given.get("client_id") != ms.app_id or given.get("client_secret") != ms.app_password:
                self._json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."})
                return
            token = secrets.token_urlsafe(24)
            with ms.lock:
                ms.token_requests += 1
                ms.app_tokens.add(token)
            self._json(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

        def _activity(self, conversation_id: str) -> None:
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            if scheme != "Bearer" or token not in ms.app_tokens:
                self._json(401, {"error": {"code": "Unauthorized"}})
                return
            activity = json.loads(self._body())
            if activity.get("conversation", {}).get("id") != conversation_id:
                self._json(400, {"error": {"code": "BadArgument"}})
                return
            with ms.lock:
                ms.received.append(activity)
            self._json(201, {"id": uuid.uuid4().hex})

        def _relay(self) -> None:
            # What Microsoft's channel service does for a Web Chat client: sign, and deliver to the bot.
            activity = json.loads(self._body())
            if ms.relay_user is not None:
                user = ms.relay_user
                activity.setdefault("from", {}).update(aadObjectId=user.aad_object_id, name=user.name)
                activity.setdefault("channelData", {})["tenant"] = {"id": user.tenant_id}
                activity.setdefault("conversation", {})["tenantId"] = user.tenant_id
            answer = httpx.post(
                ms.relay_to,
                content=json.dumps(activity).encode(),
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {ms.sign(activity.get('serviceUrl'))}"},
                timeout=120,
            )
            with ms.lock:
                ms.relay_answers.append(answer.status_code)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

    return Handler


@contextmanager
def running_microsoft(app_id: str, app_password: str, tenant_id: str) -> Iterator[Microsoft]:
    """Starts the stand-in on a free port in a thread; stops it afterwards."""
    ms = Microsoft(app_id=app_id, app_password=app_password, tenant_id=tenant_id)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ms))
    ms.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ms
    finally:
        server.shutdown()
        server.server_close()
