"""Linking a Teams user to a portal user with their TOTP code, and chat tokens for linked users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import service as accounts
from portal.accounts.models import ChatConversation, User
from portal.accounts.permissions import Permission, allows
from portal.accounts.security import matching_totp_step
from portal.audit.service import record
from portal.errors import N_, PortalError, Problem, forbidden, unauthorized
from portal.teams.models import TeamsLink

CHANNEL = "teams"
NOT_LINKED = N_("This Teams account is not linked to a portal account.")
WRONG_CODE = N_("The username or code is incorrect.")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _not_linked() -> PortalError:
    return PortalError(404, Problem("not_linked", NOT_LINKED))


def _identity(tenant_id: str, aad_object_id: str) -> str:
    return f"{tenant_id}/{aad_object_id}"


def find_link(session: Session, tenant_id: str, aad_object_id: str) -> TeamsLink | None:
    """The link of a Teams user, if they linked."""
    return session.scalar(
        select(TeamsLink).where(TeamsLink.tenant_id == tenant_id, TeamsLink.aad_object_id == aad_object_id)
    )


def may_chat(user: User) -> bool:
    """An active employer user whose roles allow the assistant."""
    return user.is_active and user.employer_id is not None and allows(user.roles, Permission.use_chat)


def _check_code(session: Session, username: str, code: str, identity: str) -> User:
    # The same steps as the login's TOTP step: throttled per username (known or not), a code once only.
    key = username.strip().lower()
    accounts.ensure_not_locked(session, key)
    user = session.scalar(select(User).where(User.username == key))
    usable = user is not None and user.is_active and bool(user.totp_secret)
    step = matching_totp_step(user.totp_secret, code.strip()) if usable else None
    if user is None or step is None or not accounts.claim_totp_step(session, user, step):
        reused = step is not None
        record(
            session,
            action="teams_link",
            outcome="reused_code" if reused else "wrong_code",
            channel=CHANNEL,
            actor_user_id=user.id if user else None,
            actor_username=key,
            employer_id=user.employer_id if user else None,
            target=identity,
        )
        accounts.register_failure(session, key, CHANNEL)
        if reused:
            raise unauthorized("code_already_used", N_("This code has already been used. Wait for the next code."))
        # One answer for an unknown user and a wrong code: the chat must not reveal who has an account.
        raise unauthorized("invalid_code", WRONG_CODE)
    accounts.clear_failures(session, key)
    return user


def link(session: Session, tenant_id: str, aad_object_id: str, username: str, code: str) -> User:
    """Links the Teams user to the portal user whose current TOTP code they gave; a re-link replaces."""
    identity = _identity(tenant_id, aad_object_id)
    user = _check_code(session, username, code, identity)
    if not may_chat(user):
        session.commit()  # the code is used up all the same
        raise forbidden()
    existing = find_link(session, tenant_id, aad_object_id)
    if existing is not None:
        session.delete(existing)
        session.flush()
    # A fresh conversation: a re-link (perhaps to another portal user) must not continue the old one.
    session.add(TeamsLink(user_id=user.id, tenant_id=tenant_id, aad_object_id=aad_object_id, created_at=_now()))
    record(
        session,
        action="teams_link",
        outcome="relinked" if existing is not None else "linked",
        channel=CHANNEL,
        actor_user_id=user.id,
        actor_username=user.username,
        employer_id=user.employer_id,
        target=identity,
    )
    session.commit()
    return user


def unlink(session: Session, tenant_id: str, aad_object_id: str) -> None:
    """Removes the Teams user's link; 404 when there is none."""
    existing = find_link(session, tenant_id, aad_object_id)
    if existing is None:
        raise _not_linked()
    user = existing.user
    session.delete(existing)
    record(
        session,
        action="teams_unlink",
        outcome="unlinked",
        channel=CHANNEL,
        actor_user_id=user.id if user else None,
        actor_username=user.username if user else "",
        employer_id=user.employer_id if user else None,
        target=_identity(tenant_id, aad_object_id),
    )
    session.commit()


def chat_token(
    session: Session, tenant_id: str, aad_object_id: str, reference: dict[str, Any]
) -> tuple[str, str, int, str]:
    """A chat token for the linked user's Teams conversation: (token, conversation id, lifetime, language)."""
    existing = find_link(session, tenant_id, aad_object_id)
    if existing is None:
        raise _not_linked()
    user = existing.user
    if user is None or not may_chat(user):
        # Removed from the portal (or the role gone): access ends now, and the link with it.
        session.delete(existing)
        record(
            session,
            action="teams_chat_token",
            outcome="refused_inactive",
            channel=CHANNEL,
            actor_user_id=user.id if user else None,
            actor_username=user.username if user else "",
            employer_id=user.employer_id if user else None,
            target=_identity(tenant_id, aad_object_id),
        )
        session.commit()
        raise PortalError(403, Problem("account_inactive", N_("Your portal account cannot use the assistant.")))
    conversation = session.get(ChatConversation, existing.conversation_id) if existing.conversation_id else None
    token, conversation_id, expires_in = accounts.chat_token_for(
        session, user, conversation.id if conversation is not None and conversation.user_id == user.id else None,
        channel=CHANNEL,
    )
    existing.conversation_id = conversation_id
    existing.conversation_reference = reference
    existing.last_used_at = _now()
    session.commit()
    return token, conversation_id, expires_in, user.language


def conversation_reference(session: Session, conversation_id: str) -> dict[str, Any]:
    """The stored conversation reference of a Teams conversation; 404 when unknown."""
    existing = session.scalar(select(TeamsLink).where(TeamsLink.conversation_id == conversation_id))
    if existing is None or not existing.conversation_reference:
        raise PortalError(404, Problem("not_found", N_("Not found."), "conversation_id"))
    return existing.conversation_reference
