"""The console's pages for service-desk staff; every rule is the handoff service's, as behind the API.

Pages use the portal's cookie session (and CSRF on every POST); the live pane's script polls
`/desk/handoffs/{id}/messages` and posts replies with the X-CSRF-Token header.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from babel.dates import format_timedelta
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require_staff
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.errors import N_, PortalError
from portal.handoffs import service
from portal.handoffs.models import Handoff, HandoffStatus
from portal.handoffs.schemas import ReplyRequest, ResolveRequest
from portal.i18n import babel_locale
from portal.web.session import PagePrincipal, require_csrf
from portal.web.templating import render_page

router = APIRouter(prefix="/desk", include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
QUEUE_REFRESH_SECONDS = 10
MAX_NOTE = 2000

# Labels of the handoff's codes, translated in the templates.
REASONS = {
    "forbidden": N_("The user's role does not allow it"),
    "collective_processing": N_("A collective change is being processed"),
    "rule_blocked": N_("A rule blocks the change"),
    "validation_failed": N_("A value was refused twice"),
    "user_request": N_("The user asked for a person"),
    "not_understood": N_("The assistant did not understand twice"),
    "portal_unavailable": N_("The portal did not answer the assistant"),
}
CHANNELS = {"chat": N_("Portal chat"), "teams": N_("Microsoft Teams"), "portal": N_("Portal")}
STATES = {
    "waiting": N_("Waiting"),
    "taken": N_("Taken over"),
    "given_back": N_("Given back to the assistant"),
    "resolved": N_("Resolved"),
}


def _is_desk(principal: Principal) -> bool:
    try:
        require_staff(Permission.handle_handoffs)(principal)
    except PortalError:
        return False
    return True


def _forbidden(request: Request, principal: Principal) -> Response:
    return render_page(request, principal, "forbidden.html", status_code=403)


def _waiting(handoff: Handoff, language: str) -> str:
    """How long the conversation has waited (or waited until it was taken over), as people say it."""
    until = handoff.taken_at if handoff.taken_at and handoff.taken_at >= handoff.created_at else None
    delta = (until or datetime.now(UTC).replace(tzinfo=None)) - handoff.created_at
    return format_timedelta(delta, threshold=1.1, locale=babel_locale(language))


def _labels() -> dict[str, dict[str, str]]:
    return {"reasons": REASONS, "channels": CHANNELS, "states": STATES}


@router.get("")
def queue(request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    """The open handoffs, oldest waiting first; the page refreshes itself."""
    if not _is_desk(principal):
        return _forbidden(request, principal)
    handoffs = service.list_handoffs(session, HandoffStatus.open)
    handoffs.sort(key=lambda h: (service.desk_state(h) != "waiting", h.created_at))
    rows = [
        {"handoff": h, "state": service.desk_state(h), "taken_by": service.taken_by(h), "waiting": _waiting(h, principal.language)}
        for h in handoffs
    ]
    response = render_page(request, principal, "desk_queue.html", rows=rows, **_labels())
    # A plain HTTP refresh: no script needed, and the queue is never more than a few seconds old.
    response.headers["Refresh"] = str(QUEUE_REFRESH_SECONDS)
    return response


def _detail_page(
    request: Request, principal: Principal, handoff: Handoff, error: str | None = None, status_code: int = 200
) -> Response:
    return render_page(
        request,
        principal,
        "desk_handoff.html",
        status_code=status_code,
        handoff=handoff,
        state=service.desk_state(handoff),
        taken_by=service.taken_by(handoff),
        mine=service.taken_by(handoff) == principal.user.username,
        waiting=_waiting(handoff, principal.language),
        transcript=service.to_detail(handoff).transcript,
        error=error,
        **_labels(),
    )


@router.get("/handoffs/{handoff_id}")
def handoff_page(handoff_id: int, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    """One handed-over conversation: the transcript, the live pane, and what the desk can do."""
    if not _is_desk(principal):
        return _forbidden(request, principal)
    try:
        handoff = service.get_handoff(session, handoff_id)
    except PortalError:
        return render_page(request, principal, "desk_not_found.html", status_code=404)
    return _detail_page(request, principal, handoff)


def _act(
    request: Request, principal: Principal, session: Session, handoff_id: int, action: Callable[[], object]
) -> Response:
    """Runs a desk action; back to the page on success (303), or the page with the reason it failed."""
    if not _is_desk(principal):
        return _forbidden(request, principal)
    try:
        action()
    except PortalError as exc:
        session.rollback()
        message = exc.problems[0].render(principal.language)["message"] if exc.problems else ""
        try:
            handoff = service.get_handoff(session, handoff_id)
        except PortalError:
            return render_page(request, principal, "desk_not_found.html", status_code=404)
        return _detail_page(request, principal, handoff, message, exc.status_code)
    return RedirectResponse(f"/desk/handoffs/{handoff_id}", status_code=303)


@router.post("/handoffs/{handoff_id}/take", dependencies=[Depends(require_csrf)])
def take(handoff_id: int, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    """Take over: the assistant falls silent and this colleague may reply."""
    return _act(request, principal, session, handoff_id, lambda: service.take(session, principal, handoff_id))


@router.post("/handoffs/{handoff_id}/give-back", dependencies=[Depends(require_csrf)])
def give_back(handoff_id: int, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    """Give the conversation back to the assistant."""
    return _act(request, principal, session, handoff_id, lambda: service.give_back(session, principal, handoff_id))


@router.post("/handoffs/{handoff_id}/resolve", dependencies=[Depends(require_csrf)])
def resolve(
    handoff_id: int,
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    note: Annotated[str, Form(max_length=MAX_NOTE)] = "",
) -> Response:
    """Resolve with a note; a conversation still paused goes back to the assistant."""
    body = ResolveRequest.model_construct(note=note)
    return _act(request, principal, session, handoff_id, lambda: service.resolve(session, principal, handoff_id, body))


def _json_error(exc: PortalError, language: str) -> JSONResponse:
    return JSONResponse({"errors": [p.render(language) for p in exc.problems]}, status_code=exc.status_code)


@router.get("/handoffs/{handoff_id}/messages")
def live_messages(
    handoff_id: int, principal: PagePrincipal, session: SessionDep, after: float = 0
) -> JSONResponse:
    """The live pane's poll: the conversation's messages newer than `after` (BSNs masked), as the API answers."""
    try:
        require_staff(Permission.handle_handoffs)(principal)
        live = service.live_conversation(session, handoff_id, max(after, 0))
    except PortalError as exc:
        return _json_error(exc, principal.language)
    return JSONResponse(live.model_dump(mode="json"))


@router.post("/handoffs/{handoff_id}/messages", dependencies=[Depends(require_csrf)])
def reply(
    handoff_id: int,
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The reply box: 204 for the live pane's script (Accept: application/json), else back to the page."""
    body = ReplyRequest.model_construct(text=text)
    if "application/json" not in request.headers.get("accept", ""):
        return _act(request, principal, session, handoff_id, lambda: service.reply(session, principal, handoff_id, body))
    try:
        require_staff(Permission.handle_handoffs)(principal)
        service.reply(session, principal, handoff_id, body)
    except PortalError as exc:
        return _json_error(exc, principal.language)
    return Response(status_code=204)
