"""The 'arrange directly' pages (§4.3, §4.4): a new participant, and the collective changes with their workbooks.

Every rule is the API's: the form and the uploads go through `registration.service` and `collective.service`,
exactly as `POST /api/participants` and `POST /api/collective/...` do.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.collective import service
from portal.collective.models import CollectiveKind
from portal.collective.router import change_detail, read_limited, xlsx_response
from portal.collective.worker import worker
from portal.dates import add_months, today
from portal.db import get_session
from portal.employers.models import Scheme
from portal.errors import PortalError, Problem, validation_problems
from portal.mutations import rules as mutation_rules
from portal.participants.pages import menu_for
from portal.registration import service as registration
from portal.registration.schemas import NewParticipantRequest
from portal.web.formatting import Formatter
from portal.web.labels import labels
from portal.web.session import PagePrincipal, require_csrf
from portal.web.templating import render_page

router = APIRouter(prefix="/arrange", include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
NEW_FIELDS = ("scheme", "first_name", "initials", "infix", "last_name", "gender", "birth_date", "bsn",
              "date_in_service", "salary", "parttime_percentage")
DECIMAL_FIELDS = ("salary", "parttime_percentage")


def _may(principal: Principal, permission: Permission) -> bool:
    try:
        require(permission)(principal)
    except PortalError:
        return False
    return True


def _page(request: Request, principal: Principal, template: str, status_code: int = 200, **extra: Any) -> Response:
    return render_page(request, principal, template, status_code=status_code, fmt=Formatter(principal.language),
                       labels=labels(), menu=menu_for(principal), current="arrange", **extra)


def _forbidden(request: Request, principal: Principal) -> Response:
    return render_page(request, principal, "forbidden.html", status_code=403)


def _messages(problems: list[Problem], language: str) -> list[str]:
    return [p.render(language)["message"] or "" for p in problems]


def _key(principal: Principal) -> str:
    return f"web-{principal.user.id}-{secrets.token_urlsafe(18)}"


def _schemes(session: Session, employer_id: int) -> list[Scheme]:
    return list(session.scalars(select(Scheme).where(Scheme.employer_id == employer_id).order_by(Scheme.number)))


def _lock(session: Session, principal: Principal) -> str | None:
    try:
        mutation_rules.ensure_no_collective_processing(session, principal.employer_id)
    except PortalError as error:
        return _messages(error.problems, principal.language)[0]
    return None


# --- the hub ----------------------------------------------------------------------------------------


@router.get("")
def arrange(request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    """New participant, collective salary and part-time, collective new participants (§4.3, §4.4)."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    latest = service.list_changes(session, principal.employer_id)[:5]
    return _page(request, principal, "arrange.html", lock=_lock(session, principal), latest=latest)


# --- a new participant (§4.3) -----------------------------------------------------------------------


def _decimal_text(text: str) -> str:
    plain = text.replace("€", "").replace("%", "").replace(" ", "")
    return plain.replace(",", ".") if "," in plain and "." not in plain else plain


def _new_request(values: dict[str, str]) -> tuple[NewParticipantRequest | None, list[Problem]]:
    data = {k: (_decimal_text(v) if k in DECIMAL_FIELDS else v) for k, v in values.items() if v}
    try:
        return NewParticipantRequest.model_validate(data), []
    except ValidationError as exc:
        return None, validation_problems(exc.errors())


def _field_errors(problems: list[Problem], language: str) -> dict[str, Any]:
    errors: dict[str, Any] = {"fields": {}, "general": []}
    for problem in problems:
        text = problem.render(language)["message"]
        if problem.field in NEW_FIELDS:
            errors["fields"].setdefault(problem.field, []).append(text)
        else:
            errors["general"].append(text)
    return errors


def _participant_page(
    request: Request, principal: Principal, session: Session, *, step: str, values: dict[str, str], key: str,
    problems: list[Problem] | None = None, result: Any = None, status_code: int = 200,
) -> Response:
    schemes = _schemes(session, principal.employer_id)
    return _page(
        request, principal, "arrange_participant.html", status_code=status_code, step=step, values=values, key=key,
        schemes=schemes, errors=_field_errors(problems or [], principal.language), result=result,
        lock=_lock(session, principal), latest_start=add_months(today(), 3),
    )


@router.get("/participant")
def new_participant(request: Request, principal: PagePrincipal, session: SessionDep, scheme: int | None = None) -> Response:
    """R9: first the scheme when there are several, then the participant's details."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    schemes = _schemes(session, principal.employer_id)
    if scheme is None and len(schemes) == 1:
        scheme = schemes[0].number
    step = "form" if scheme is not None and any(s.number == scheme for s in schemes) else "scheme"
    values = {"scheme": str(scheme or ""), "parttime_percentage": "100", "gender": ""}
    return _participant_page(request, principal, session, step=step, values=values, key=_key(principal))


@router.post("/participant", dependencies=[Depends(require_csrf)])
async def new_participant_submit(request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    """'Check' validates by the API's rules and shows the confirmation; 'submit' registers (once per key)."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:200] for name in NEW_FIELDS}
    key = str(form.get("key") or "")[:200] or _key(principal)
    action = str(form.get("action") or "check")
    if action == "edit":
        return _participant_page(request, principal, session, step="form", values=values, key=key)
    body, problems = _new_request(values)
    if body is None:
        return _participant_page(request, principal, session, step="form", values=values, key=key, problems=problems,
                                 status_code=422)
    try:
        result, _ = registration.register(session, principal, body, idempotency_key=key if action == "submit" else None,
                                          dry_run=action != "submit")
    except PortalError as error:
        return _participant_page(request, principal, session, step="form", values=values, key=key,
                                 problems=error.problems, status_code=error.status_code)
    step = "done" if action == "submit" else "confirm"
    return _participant_page(request, principal, session, step=step, values=values, key=key, result=result)


# --- collective changes (§4.4) ----------------------------------------------------------------------


def _salary_page(
    request: Request, principal: Principal, session: Session, effective_date: date | None,
    problems: list[Problem] | None = None, status_code: int = 200,
) -> Response:
    date_problems = service.salary_effective_date_problems(effective_date) if effective_date else []
    return _page(
        request, principal, "arrange_collective.html", status_code=status_code, kind="salary",
        effective_date=effective_date, date_errors=_messages(date_problems, principal.language),
        errors=[p.render(principal.language) for p in problems or []], key=_key(principal),
        lock=_lock(session, principal), latest=add_months(today(), 3),
    )


@router.get("/collective-salary")
def collective_salary(request: Request, principal: PagePrincipal, session: SessionDep,
                      effective_date: date | None = None) -> Response:
    """Step 1 the date, step 2 the workbook, step 3 the upload (§4.4.1)."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    return _salary_page(request, principal, session, effective_date)


@router.get("/collective-salary/workbook")
def collective_salary_workbook(request: Request, principal: PagePrincipal, session: SessionDep,
                               effective_date: date) -> Response:
    """The salary workbook as of the chosen date."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    try:
        data = service.salary_workbook(session, principal.employer_id, effective_date, principal.language)
    except PortalError:
        return _salary_page(request, principal, session, effective_date, status_code=422)
    return xlsx_response(data, service.download_name(CollectiveKind.salary, effective_date, principal.language))


def _accept(request: Request, principal: Principal, session: Session, upload: service.Upload, key: str) -> Response:
    try:
        change, created = service.accept(session, principal, upload, idempotency_key=key or None, dry_run=False)
    except PortalError as error:
        if upload.kind is CollectiveKind.salary:
            return _salary_page(request, principal, session, upload.effective_date, error.problems, error.status_code)
        return _participants_page(request, principal, session, error.problems, error.status_code)
    if created:
        worker.wake()
    return RedirectResponse(f"/arrange/collective/{change.id}", status_code=303)


@router.post("/collective-salary", dependencies=[Depends(require_csrf)])
def collective_salary_upload(
    request: Request, principal: PagePrincipal, session: SessionDep,
    effective_date: Annotated[date, Form()], file: Annotated[UploadFile, File()], key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Step 3: the filled-in workbook; every problem is listed, or the status page follows."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    try:
        data = read_limited(request, file)
    except PortalError as error:
        return _salary_page(request, principal, session, effective_date, error.problems, error.status_code)
    upload = service.Upload(CollectiveKind.salary, file.filename or "", data, effective_date)
    return _accept(request, principal, session, upload, key)


def _participants_page(request: Request, principal: Principal, session: Session,
                       problems: list[Problem] | None = None, status_code: int = 200) -> Response:
    return _page(
        request, principal, "arrange_collective.html", status_code=status_code, kind="new_participants",
        errors=[p.render(principal.language) for p in problems or []], key=_key(principal),
        lock=_lock(session, principal), earliest=add_months(today(), -3), latest=add_months(today(), 3),
    )


@router.get("/collective-participants")
def collective_participants(request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    """Download the template, fill it in, upload it (§4.4.2)."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    return _participants_page(request, principal, session)


@router.get("/collective-participants/template")
def collective_participants_template(request: Request, principal: PagePrincipal) -> Response:
    """The new-participants template."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    data = service.new_participants_template(principal.language)
    return xlsx_response(data, service.download_name(CollectiveKind.new_participants, None, principal.language))


@router.post("/collective-participants", dependencies=[Depends(require_csrf)])
def collective_participants_upload(
    request: Request, principal: PagePrincipal, session: SessionDep,
    file: Annotated[UploadFile, File()], key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The filled-in template; every problem is listed, or the status page follows."""
    if not _may(principal, Permission.change_participants):
        return _forbidden(request, principal)
    try:
        data = read_limited(request, file)
    except PortalError as error:
        return _participants_page(request, principal, session, error.problems, error.status_code)
    return _accept(request, principal, session, service.Upload(CollectiveKind.new_participants, file.filename or "", data), key)


# --- the status of one upload -----------------------------------------------------------------------


@router.get("/collective/{change_id}")
def collective_status(request: Request, principal: PagePrincipal, session: SessionDep, change_id: int) -> Response:
    """Received → processing (with progress) → processed (the rows) or failed (every problem)."""
    if not _may(principal, Permission.view_changes):
        return _forbidden(request, principal)
    try:
        change = service.get_change(session, principal.employer_id, change_id)
    except PortalError:
        return render_page(request, principal, "not_found.html", status_code=404)
    detail = change_detail(session, change, principal.language)
    return _page(request, principal, "arrange_status.html", change=detail)


@router.get("/collective/{change_id}/status")
def collective_status_json(principal: PagePrincipal, session: SessionDep, change_id: int) -> Response:
    """What the status page's script polls while the change is processed."""
    if not _may(principal, Permission.view_changes):
        return JSONResponse({"status": "forbidden"}, status_code=403)
    try:
        change = service.get_change(session, principal.employer_id, change_id)
    except PortalError:
        return JSONResponse({"status": "not_found"}, status_code=404)
    return JSONResponse({"status": change.status.value, "progress": change.progress, "row_count": change.row_count},
                        headers={"Cache-Control": "no-store"})


