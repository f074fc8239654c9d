"""Writing audit events; BSN-like digit runs are masked before anything is stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent

_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


def mask_bsn(bsn: str) -> str:
    """A BSN as users may see it: only the last four digits ('*****6782')."""
    return "*****" + bsn[-4:]


def _scrub(value: Any) -> Any:
    # Participant numbers have seven digits; nine digits in a row can be a BSN, so they are masked.
    if isinstance(value, str):
        return _NINE_DIGITS.sub(lambda m: mask_bsn(m.group()), value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
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
            actor_username=_scrub(actor_username),
            employer_id=employer_id,
            action=action,
            target=_scrub(target),
            channel=channel,
            outcome=outcome,
            detail=_scrub(detail or {}),
        )
    )
