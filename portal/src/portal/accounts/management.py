"""Portal accounts of an employer (§2): User Management creates them; their owners activate them (§1).

A new account starts as a `PendingAccount` and gets a notification e-mail; the user account itself is made
when its owner activates it (`portal.activation.service`), with the username and password they choose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal
from portal.accounts.models import PendingAccount, User
from portal.audit.service import record
from portal.config import get_settings
from portal.errors import N_, PortalError, Problem
from portal.mail import service as mail
from portal.mail.texts import ACCOUNT_CREATED

EMAIL_IN_USE = N_("There is already an account for this e-mail address.")
ACTIVATION_PATH = "/activate"


@dataclass(frozen=True)
class NewAccount:
    """What User Management fills in for a colleague: name, e-mail address, roles, language of the e-mails."""

    full_name: str
    email: str
    roles: list[str]
    language: str = "nl"


@dataclass(frozen=True)
class AccountView:
    """An account as User Management sees it; `username` is None until its owner activated it."""

    username: str | None
    full_name: str
    email: str
    roles: list[str]
    language: str
    status: str  # pending | active | inactive
    created_at: datetime | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def normalise_email(email: str) -> str:
    """E-mail addresses are compared without case or surrounding spaces."""
    return email.strip().lower()


def email_in_use(session: Session, email: str) -> bool:
    """Whether an account (active or waiting for activation) already has this e-mail address."""
    address = normalise_email(email)
    user = session.scalar(select(User.id).where(func.lower(User.email) == address).limit(1))
    pending = session.scalar(
        select(PendingAccount.id)
        .where(func.lower(PendingAccount.email) == address, PendingAccount.user_id.is_(None))
        .limit(1)
    )
    return user is not None or pending is not None


def create_account(session: Session, principal: Principal, new: NewAccount, dry_run: bool = False) -> AccountView:
    """Creates an account for the caller's own employer and mails its owner how to activate it."""
    if email_in_use(session, new.email):
        raise PortalError(422, Problem("email_in_use", EMAIL_IN_USE, "email"))
    roles = sorted(set(new.roles))
    pending = PendingAccount(
        employer_id=principal.employer_id,
        full_name=new.full_name.strip(),
        email=normalise_email(new.email),
        roles=roles,
        language=new.language,
        created_by_id=principal.user.id,
        created_at=_now(),
    )
    if dry_run:
        return _pending_view(pending)
    session.add(pending)
    session.flush()
    employer = principal.user.employer
    mail.queue(
        session,
        pending.email,
        ACCOUNT_CREATED,
        pending.language,
        name=pending.full_name,
        creator=principal.user.full_name,
        employer=employer.name if employer else "",
        url=get_settings().public_url.rstrip("/") + ACTIVATION_PATH,
    )
    record(
        session,
        action="account_created",
        outcome="pending",
        channel=principal.channel,
        actor_user_id=principal.user.id,
        actor_username=principal.user.username,
        employer_id=principal.employer_id,
        target=f"pending_account:{pending.id}",
        detail={"roles": roles},
    )
    session.commit()
    return _pending_view(pending)


def list_accounts(session: Session, employer_id: int) -> list[AccountView]:
    """Every account of the employer, activated or not, by name."""
    users = session.scalars(select(User).where(User.employer_id == employer_id)).all()
    pending = session.scalars(
        select(PendingAccount).where(PendingAccount.employer_id == employer_id, PendingAccount.user_id.is_(None))
    ).all()
    created = dict(
        session.execute(
            select(PendingAccount.user_id, PendingAccount.created_at).where(
                PendingAccount.employer_id == employer_id, PendingAccount.user_id.is_not(None)
            )
        ).all()
    )
    views = [_user_view(user, created.get(user.id)) for user in users] + [_pending_view(p) for p in pending]
    return sorted(views, key=lambda view: (view.full_name.lower(), view.email))


def _user_view(user: User, created_at: datetime | None) -> AccountView:
    return AccountView(
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        roles=list(user.roles),
        language=user.language,
        status="active" if user.is_active else "inactive",
        created_at=created_at,
    )


def _pending_view(pending: PendingAccount) -> AccountView:
    return AccountView(
        username=None,
        full_name=pending.full_name,
        email=pending.email,
        roles=list(pending.roles),
        language=pending.language,
        status="pending",
        created_at=pending.created_at,
    )
