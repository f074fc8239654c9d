"""Writing audit events, and masking BSN-like digit runs before anything is stored (here and in handoffs)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent

# Nine digits in a row, or grouped as people write a BSN: 1234.56.782, 123 456 782 (dots, spaces or hyphens).
# Participant numbers have seven digits, so they are left alone.
_BSN_LIKE = re.compile(r"(?<!\d)(?:\d{9}|\d{4}([ .-])\d{2}\1\d{3}|\d{3}([ .-])\d{3}\2\d{3})(?!\d)")


def mask_bsn(bsn: str) -> str:
    """A BSN as users may see it: only the last four digits ('*****6782')."""
    return "*****" + bsn[-4:]


def mask_bsns(value: Any) -> Any:
    """The value with every BSN-like run of nine digits masked, in strings and inside dicts and lists."""
    if isinstance(value, str):
        return _BSN_LIKE.sub(lambda m: mask_bsn(re.sub(r"\D", "", m.group())), value)
    if isinstance(value, dict):
        return {k: mask_bsns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_bsns(v) for v in value]
    return value


def record(
    session: Session,
    *,
    action: str,
    outcome: str,
    channel: str,
    actor_user_id: int | None = None,
    actor_username: str = "",
    employer_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Adds an audit event to the session; it is stored with the caller's commit."""
    session.add(
        AuditEvent(
            at=datetime.now(UTC).replace(tzinfo=None),
            actor_user_id=actor_user_id,
            actor_username=mask_bsns(actor_username),
            employer_id=employer_id,
            action=action,
            target=mask_bsns(target),
            channel=channel,
            outcome=outcome,
            detail=mask_bsns(detail or {}),
        )
    )
