"""The participant pages (§4, §4.1, §4.2): the overview per scheme, the detail, and the individual change forms.

No rule lives here. The overview and the detail are the API's own handlers called as functions, so a page
shows exactly what `GET /api/participants` answers; a form is checked by `mutations.service.submit` as a dry
run before the confirmation step ("check and submit") and submitted by it afterwards with the form's own
Idempotency-Key, so a double submit records one mutation.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.errors import N_, PortalError, Problem, validation_problems
from portal.mutations import service as mutations
from portal.mutations.schemas import FamilyMemberRequest, SalaryChangeRequest, TerminationRequest
from portal.mutations.state import apply_due_mutations
from portal.participants.router import list_participants, participant_detail
from portal.participants.schemas import ParticipantDetail, ParticipantPage
from portal.web.formatting import Formatter
from portal.web.labels import labels
from portal.web.session import PagePrincipal, local_path, require_csrf
from portal.web.templating import render_page


class _DigitsConvertor(Convertor):
    # Participant numbers are digits; other words after /participants/ (a page of another chapter) fall through.
    regex = "[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("participant_number", _DigitsConvertor())

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
PAGE_SIZE = 25
SORTS = ("number", "name", "date_in_service", "fulltime_salary", "parttime_percentage", "status")
ALL_SCHEMES = "all"
_KEY = re.compile(r"^web-\d+-[A-Za-z0-9_-]{16,64}$")
KEY_REUSED = N_("This form has already been submitted. Open the form again to pass on another change.")


@dataclass(frozen=True)
class ChangeForm:
    """One of the individual change forms on the detail page (§4.2.1–§4.2.3)."""

    slug: str
    title: str
    intro: str
    request: type[BaseModel]
    fields: tuple[str, ...]


FORMS: dict[str, ChangeForm] = {
    form.slug: form
    for form in (
        ChangeForm(
            "salary-change",
            N_("Change salary and/or part-time percentage"),
            N_("You can pass on a salary change with an effective date up to three months ahead. "
               "Leave a field empty when it does not change."),
            SalaryChangeRequest,
            ("effective_date", "salary", "parttime_percentage"),
        ),
        ChangeForm(
            "termination",
            N_("Termination of employment"),
            N_("You can pass on a termination with an effective date up to three months ahead."),
            TerminationRequest,
            ("effective_date",),
        ),
        ChangeForm(
            "family-members",
            N_("Add partner or child"),
            N_("We always need the citizen service number (BSN) of a partner or child."),
            FamilyMemberRequest,
            ("relation", "first_name", "infix", "last_name", "birth_date", "bsn"),
        ),
    )
}
DECIMAL_FIELDS = ("salary", "parttime_percentage")


def _allowed(principal: Principal, permission: Permission) -> bool:
    try:
        require(permission)(principal)
    except PortalError:
        return False
    return True


@dataclass(frozen=True)
class MenuItem:
    """A tab of the participants chapter, as the manual's menu lists them (§4.3)."""

    key: str
    href: str
    title: str
    permission: Permission


MENU = (
    MenuItem("overview", "/participants", N_("Participant overview"), Permission.view_participants),
    MenuItem("arrange", "/arrange", N_("New participant and collective changes"), Permission.change_participants),
    MenuItem("individual", "/changes?tab=individual", N_("Submitted changes individual"), Permission.view_changes),
    MenuItem("collective", "/changes?tab=collective", N_("Submitted changes collective"), Permission.view_changes),
)


def menu_for(principal: Principal) -> list[MenuItem]:
    """The chapter's tabs this user's roles allow."""
    return [item for item in MENU if _allowed(principal, item.permission)]


def _page(request: Request, principal: Principal, template: str, status_code: int = 200, **extra: Any) -> Response:
    return render_page(
        request, principal, template, status_code=status_code,
        fmt=Formatter(principal.language), labels=labels(), menu=menu_for(principal), **extra,
    )


def _forbidden(request: Request, principal: Principal) -> Response:
    return render_page(request, principal, "forbidden.html", status_code=403)


def _not_found(request: Request, principal: Principal) -> Response:
    return _page(request, principal, "participant_missing.html", status_code=404)


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --- the overview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewQuery:
    """What the overview shows: the scheme ('all' or a number), the search, the sort and the page."""

    scheme: str
    q: str
    sort: str
    order: str
    page: int

    def url(self, **changes: Any) -> str:
        """The overview's address with some of its settings changed (a sort header, the next page)."""
        values = {"scheme": self.scheme, "q": self.q, "sort": self.sort, "order": self.order, "page": self.page}
        values.update(changes)
        defaults = {"q": "", "sort": "name", "order": "asc", "page": 1}
        kept = {k: v for k, v in values.items() if defaults.get(k, object()) != v}
        return "/participants?" + urlencode(kept) if kept else "/participants"

    def sort_url(self, column: str) -> str:
        """A header's link: sorts by that column, or turns the order around when it sorts by it already."""
        order = "desc" if self.sort == column and self.order == "asc" else "asc"
        return self.url(sort=column, order=order, page=1)


def _overview_query(schemes: list[int], scheme: str, q: str, sort: str, order: str, page: str) -> OverviewQuery:
    # Per selected scheme (R4): the first one unless the user chose another one or all of them.
    chosen = scheme if scheme == ALL_SCHEMES or (scheme.isdigit() and int(scheme) in schemes) else ""
    if not chosen:
        chosen = str(schemes[0]) if schemes else ALL_SCHEMES
    return OverviewQuery(
        scheme=chosen,
        q=q.strip()[:100],
        sort=sort if sort in SORTS else "name",
        order="desc" if order == "desc" else "asc",
        page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
    )


@router.get("/participants")
def overview(
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    scheme: str = "",
    q: str = "",
    sort: str = "name",
    order: str = "asc",
    page: str = "1",
) -> Response:
    """The participants of the selected scheme: search, sort by any column, page, refresh, open with the eye."""
    if not _allowed(principal, Permission.view_participants):
        return _forbidden(request, principal)
    schemes = list(principal.user.employer.schemes)
    query = _overview_query([s.number for s in schemes], scheme, q, sort, order, page)
    scheme_number = None if query.scheme == ALL_SCHEMES else int(query.scheme)

    def fetch(number: int) -> ParticipantPage:
        return list_participants(
            principal, session, q=query.q, scheme=scheme_number, sort=query.sort, order=query.order,  # type: ignore[arg-type]
            page=number, page_size=PAGE_SIZE,
        )

    listing = fetch(query.page)
    pages = max(1, math.ceil(listing.total / PAGE_SIZE))
    if query.page > pages:
        query = OverviewQuery(query.scheme, query.q, query.sort, query.order, pages)
        listing = fetch(pages)
    here = query.url()
    return _page(
        request, principal, "participants.html",
        schemes=schemes, query=query, listing=listing, pages=pages, all_schemes=ALL_SCHEMES,
        may_change=_allowed(principal, Permission.change_participants),
        # The manual's "Exporteer medewerkers" button on the overview (§4.2.4); the export pages are their own.
        may_export=_allowed(principal, Permission.export_participants),
        # The globe and the theme toggle come back to this very list, not to its first page.
        path=here, here=here,
    )


@router.post("/participants/refresh", dependencies=[Depends(require_csrf)])
def refresh(
    request: Request, principal: PagePrincipal, session: SessionDep, next: Annotated[str, Form()] = "/participants"
) -> Response:
    """The refresh button (§4): applies the changes whose effective date has come, then shows the list again."""
    if not _allowed(principal, Permission.view_participants):
        return _forbidden(request, principal)
    apply_due_mutations(session)
    target = local_path(next, "/participants")
    return _redirect(target if target.startswith("/participants") else "/participants")


# --- the detail --------------------------------------------------------------------------------------


def _detail(session: Session, principal: Principal, number: str) -> ParticipantDetail | None:
    try:
        return participant_detail(number, principal, session)
    except PortalError as exc:
        if exc.status_code == 404:
            return None
        raise


@router.get("/participants/{number:participant_number}")
def detail(request: Request, principal: PagePrincipal, session: SessionDep, number: str, submitted: str = "") -> Response:
    """Personal data, employment, coverages, family and history (§4.1); the change forms for who may change."""
    if not _allowed(principal, Permission.view_participants):
        return _forbidden(request, principal)
    participant = _detail(session, principal, number)
    if participant is None:
        return _not_found(request, principal)
    done = next((c for c in participant.changes if str(c.id) == submitted), None) if submitted.isdigit() else None
    return _page(
        request, principal, "participant.html",
        p=participant, may_change=_allowed(principal, Permission.change_participants), forms=FORMS, done=done,
    )


# --- the change forms --------------------------------------------------------------------------------


def _new_key(principal: Principal) -> str:
    # Scoped to the user, so keys from two users of one employer never meet.
    return f"web-{principal.user.id}-{secrets.token_urlsafe(18)}"


def _values(form: FormData, spec: ChangeForm) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip()[:200] for name in spec.fields}


def _decimal_text(text: str) -> str:
    # Browsers send number fields with a dot; someone typing '52242,28' means the same.
    plain = text.replace("€", "").replace("%", "").replace(" ", "")
    return plain.replace(",", ".") if "," in plain and "." not in plain else plain


def _request_of(spec: ChangeForm, values: dict[str, str]) -> tuple[BaseModel | None, list[Problem]]:
    """The API's request body from the form; an empty field is a missing one (or 'unchanged')."""
    data = {k: (_decimal_text(v) if k in DECIMAL_FIELDS else v) for k, v in values.items() if v}
    try:
        return spec.request.model_validate(data), []
    except ValidationError as exc:
        return None, validation_problems(exc.errors())


@dataclass
class FormErrors:
    """Problems shown at their field, and those that concern the whole form (a lock, a dormant participant)."""

    fields: dict[str, list[str]]
    general: list[str]


def _errors(spec: ChangeForm, problems: list[Problem], language: str) -> FormErrors:
    errors = FormErrors({}, [])
    for problem in problems:
        message = KEY_REUSED if problem.code == "idempotency_key_reused" else problem.message
        text = Problem(problem.code, message, problem.field, problem.params).render(language)["message"] or ""
        if problem.field in spec.fields:
            errors.fields.setdefault(problem.field, []).append(text)
        else:
            errors.general.append(text)
    return errors


def _form_page(
    request: Request,
    principal: Principal,
    participant: ParticipantDetail,
    spec: ChangeForm,
    *,
    values: dict[str, str] | None = None,
    key: str | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> Response:
    return _page(
        request, principal, "participant_form.html", status_code=status_code,
        p=participant, form=spec, step="form", values=values or {}, key=key or _new_key(principal),
        errors=_errors(spec, problems or [], principal.language),
    )


def _form_context(
    request: Request, principal: Principal, session: Session, number: str, slug: str
) -> tuple[ParticipantDetail, ChangeForm] | Response:
    """The participant and the form, or the page that says why there is no form (role, unknown, missing)."""
    if not _allowed(principal, Permission.change_participants):
        return _forbidden(request, principal)
    spec = FORMS.get(slug)
    participant = _detail(session, principal, number) if spec else None
    if spec is None or participant is None:
        return _not_found(request, principal)
    return participant, spec


@router.get("/participants/{number:participant_number}/{slug}")
def change_form(request: Request, principal: PagePrincipal, session: SessionDep, number: str, slug: str) -> Response:
    """An empty change form with a fresh Idempotency-Key; why no change is possible, when it is not."""
    context = _form_context(request, principal, session, number, slug)
    if isinstance(context, Response):
        return context
    participant, spec = context
    return _form_page(request, principal, participant, spec)


async def _posted_form(request: Request) -> FormData:
    # Read once by the CSRF check already; Starlette keeps it on the request.
    return await request.form()


@router.post("/participants/{number:participant_number}/{slug}", dependencies=[Depends(require_csrf)])
def change_submit(
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    number: str,
    slug: str,
    form: Annotated[FormData, Depends(_posted_form)],
) -> Response:
    """'check' validates (dry run) and shows the confirmation; 'edit' goes back; 'submit' records the mutation."""
    context = _form_context(request, principal, session, number, slug)
    if isinstance(context, Response):
        return context
    participant, spec = context
    values = _values(form, spec)
    presented = str(form.get("key") or "")
    key = presented if _KEY.match(presented) and presented.startswith(f"web-{principal.user.id}-") else _new_key(principal)
    action = str(form.get("action") or "check")
    if action == "edit":
        return _form_page(request, principal, participant, spec, values=values, key=key)
    body, problems = _request_of(spec, values)
    if body is None:
        return _form_page(request, principal, participant, spec, values=values, key=key, problems=problems, status_code=422)
    final = action == "submit"
    try:
        mutation, _created = mutations.submit(
            session, principal, number, body,  # type: ignore[arg-type]
            idempotency_key=key if final else None, dry_run=not final,
        )
    except PortalError as exc:
        session.rollback()
        if exc.status_code == 404:
            return _not_found(request, principal)
        reused = any(p.code == "idempotency_key_reused" for p in exc.problems)
        return _form_page(
            request, principal, _detail(session, principal, number) or participant, spec, values=values,
            key=_new_key(principal) if reused else key, problems=exc.problems, status_code=exc.status_code,
        )
    if final:
        return _redirect(f"/participants/{participant.number}?submitted={mutation.id}")
    return _page(
        request, principal, "participant_form.html",
        p=participant, form=spec, step="confirm", values=values, key=key, preview=mutation, body=body,
        errors=FormErrors({}, []),
    )
