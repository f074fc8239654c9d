"""The link between a Teams user and a portal user, made once with the user's own TOTP code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base


class TeamsLink(Base):
    """A Teams user (tenant + aadObjectId) linked to one portal user; removed on unlink or with the user."""

    __tablename__ = "teams_link"
    __table_args__ = (UniqueConstraint("tenant_id", "aad_object_id", name="uq_teams_link_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    aad_object_id: Mapped[str] = mapped_column(String(64))
    # The portal conversation (ChatConversation.id, the Rasa sender id) this Teams chat maps to.
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    # What the Bot Connector needs to write into the chat later (serviceUrl, conversation, bot, user).
    conversation_reference: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
