"""Request and response bodies of the handoff endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from portal.handoffs.models import HandoffChannel, HandoffReason, HandoffStatus

MAX_TRANSCRIPT_ENTRIES = 200
MAX_TEXT_LENGTH = 2000


class TranscriptEntry(BaseModel):
    """One message of the conversation, as the user or the assistant wrote it."""

    sender: Literal["user", "bot"]
    text: str = Field(max_length=MAX_TEXT_LENGTH)
    timestamp: datetime = Field(description="ISO 8601, or Unix seconds as Rasa's events carry them")


class HandoffRequest(BaseModel):
    """The assistant hands a conversation to the service desk; BSNs are masked by the portal as well."""

    conversation_id: str = Field(min_length=1, max_length=64, description="With a chat token: its `sid`")
    channel: HandoffChannel
    reason: HandoffReason
    language: Literal["nl", "en"]
    summary: str | None = Field(default=None, max_length=500, description="What the user wanted, in short")
    transcript: list[TranscriptEntry] = Field(max_length=MAX_TRANSCRIPT_ENTRIES)


class ResolveRequest(BaseModel):
    """What the service desk did for the user."""

    note: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class HandoffOut(BaseModel):
    """A handoff as the service desk's queue lists it."""

    id: int
    status: HandoffStatus
    reason: HandoffReason
    channel: HandoffChannel
    language: str
    conversation_id: str
    summary: str | None
    employer_id: int
    employer_name: str
    requested_by: str = Field(description="Username of the user the conversation belongs to")
    requested_by_name: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None = Field(description="Username of the service-desk colleague")
    resolution_note: str | None
    desk_state: Literal["waiting", "taken", "given_back", "resolved"] = Field(
        description="waiting in the queue (the assistant is paused), taken over by a colleague, "
        "given back to the assistant, or resolved"
    )
    taken_by: str | None = Field(description="Username of the colleague who has the conversation now")
    taken_at: datetime | None
    returned_at: datetime | None = Field(description="When it was given back to the assistant")


class HandoffDetail(HandoffOut):
    """A handoff with its transcript (every BSN masked)."""

    transcript: list[TranscriptEntry]


class ReplyRequest(BaseModel):
    """A message from the service-desk colleague to the user."""

    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class LiveMessageOut(BaseModel):
    """One message of the live conversation."""

    sender: Literal["user", "bot", "agent"] = Field(description="the user, the assistant, or the service desk")
    text: str
    timestamp: datetime


class LiveConversation(BaseModel):
    """The conversation since the handoff, read live from the assistant (every BSN masked)."""

    messages: list[LiveMessageOut]
    cursor: float = Field(description="Pass as `after` to get only newer messages (the assistant's event time)")
    paused: bool = Field(description="Whether the assistant is silent")
    desk_state: Literal["waiting", "taken", "given_back", "resolved"]
    taken_by: str | None
