"""Request and response bodies of the Teams connector's endpoints."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, field_validator

from portal.errors import N_, PortalProblemError, Problem

MAX_REFERENCE_CHARS = 4000

# Entra ID tenant and object ids are GUIDs; a little room for other spellings.
IdField = Field(min_length=1, max_length=64)


class TeamsIdentity(BaseModel):
    """Who the Teams user is: their tenant and Entra ID (AAD) object id, as Teams reports them."""

    tenant_id: str = IdField
    aad_object_id: str = IdField


class LinkRequest(TeamsIdentity):
    """The portal username and a current TOTP code the Teams user typed into the chat."""

    username: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=10)


class LinkResponse(BaseModel):
    """The portal user the Teams user is now linked to."""

    username: str
    full_name: str
    language: str


class ChatTokenRequest(TeamsIdentity):
    """The Teams user, and where the Bot Connector can write into their chat later."""

    conversation_reference: dict[str, Any] = Field(
        description="serviceUrl, conversation, bot, user (as in a Bot Framework ConversationReference)"
    )

    @field_validator("conversation_reference")
    @classmethod
    def _small_enough(cls, value: dict[str, Any]) -> dict[str, Any]:
        # It is stored per link; a reference is a few hundred characters, never kilobytes.
        if len(json.dumps(value)) > MAX_REFERENCE_CHARS:
            raise PortalProblemError(
                Problem("too_long", N_("This value is not valid."), "conversation_reference")
            )
        return value


class TeamsChatTokenResponse(BaseModel):
    """A chat token for the linked user's Teams conversation, and the user's language."""

    token: str
    conversation_id: str
    expires_in: int
    language: str


class ConversationReferenceResponse(BaseModel):
    """Where the Bot Connector writes into a Teams conversation."""

    conversation_id: str
    conversation_reference: dict[str, Any]
