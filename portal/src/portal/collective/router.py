"""Collective change endpoints (§4.4): download the workbooks, upload them, follow their processing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.collective import service
from portal.collective.models import CollectiveChange, CollectiveKind
from portal.collective.schemas import (
    CollectiveChangeDetail,
    CollectiveChangeOut,
    CollectiveProblemOut,
    CollectiveRowOut,
)
from portal.collective.workbooks import XLSX_MEDIA_TYPE
from portal.collective.worker import worker
from portal.config import get_settings
from portal.db import get_session

router = APIRouter(prefix="/api/collective", tags=["collective changes"])
Changer = Annotated[Principal, Depends(require(Permission.change_participants))]
ChangeViewer = Annotated[Principal, Depends(require(Permission.view_changes))]
SessionDep = Annotated[Session, Depends(get_session)]
DryRun = Annotated[bool, Query(description="Check the file only; nothing is stored")]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, description="The same key returns the same upload")
]
UPLOAD_RESPONSES = {
    403: {"description": "The role does not allow changes"},
    409: {"description": "Another collective change is still being processed"},
    413: {"description": "The file is too large"},
    422: {"description": "Every problem in the file: {errors: [{code, field ('F7'), message, row, column}]}"},
}
# Multipart framing around the file; a request above limit + this is refused before it is read.
MULTIPART_OVERHEAD = 64_000


def xlsx_response(data: bytes, filename: str) -> Response:
    """A workbook as a download."""
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def read_limited(request: Request, file: UploadFile) -> bytes:
    """The uploaded file's bytes, or 413 when it is above the configured limit."""
    limit = get_settings().collective_max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise service.too_large()
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise service.too_large()
    return data


def change_out(change: CollectiveChange, *, dry_run: bool = False) -> CollectiveChangeOut:
    """The list form of a collective change."""
    return CollectiveChangeOut(
        id=change.id, kind=change.kind.value, status="dry_run" if dry_run else change.status.value,
        effective_date=change.effective_date, uploaded_at=change.uploaded_at, filename=change.filename,
        row_count=change.row_count, progress=change.progress or 0, started_at=change.started_at,
        finished_at=change.finished_at, dry_run=dry_run,
    )


def change_detail(session: Session, change: CollectiveChange, language: str) -> CollectiveChangeDetail:
    """The detail form: rendered problems of a failed change, the mutations of a processed one."""
    rows_by_mutation = {entry["mutation_id"]: entry["row"] for entry in change.result or []}
    return CollectiveChangeDetail(
        **change_out(change).model_dump(),
        problems=[CollectiveProblemOut(**p.render(language)) for p in service.problems_of(change)],
        rows=[
            CollectiveRowOut(
                row=rows_by_mutation[m.id], participant=m.participant.number, participant_name=m.participant.listed_name,
                mutation_id=m.id, type=m.type.value, status=m.status.value, effective_date=m.effective_date,
                payload=m.payload,
            )
            for m in service.mutations_of(session, change)
        ],
    )


def _accepted(response: Response, change: CollectiveChange, created: bool, dry_run: bool) -> CollectiveChangeOut:
    if dry_run:
        response.status_code = 200
        return change_out(change, dry_run=True)
    if created:
        worker.wake()
    else:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/collective/{change.id}"
    return change_out(change)


@router.get("/salary-workbook", response_class=Response, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
def salary_workbook(
    principal: Changer, session: SessionDep, effective_date: Annotated[date, Query(description="At most three months ahead")]
) -> Response:
    """The current participants with columns F and G to fill in with new values (§4.4.1)."""
    data = service.salary_workbook(session, principal.employer_id, effective_date, principal.language)
    return xlsx_response(data, service.download_name(CollectiveKind.salary, effective_date, principal.language))


@router.get("/new-participants-template", response_class=Response, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
def new_participants_template(principal: Changer) -> Response:
    """The template for new participants; row 2 is an example to overwrite or delete (§4.4.2)."""
    data = service.new_participants_template(principal.language)
    return xlsx_response(data, service.download_name(CollectiveKind.new_participants, None, principal.language))


@router.post("/salary-changes", response_model=CollectiveChangeOut, status_code=202, responses=UPLOAD_RESPONSES)
def upload_salary_changes(
    request: Request,
    response: Response,
    principal: Changer,
    session: SessionDep,
    effective_date: Annotated[date, Form(description="At most three months ahead")],
    file: Annotated[UploadFile, File(description="The filled-in salary workbook (.xlsx)")],
    idempotency_key: IdempotencyKey = None,
    dry_run: DryRun = False,
) -> CollectiveChangeOut:
    """Accepts a filled-in salary workbook for processing (202), or lists every problem in it (422)."""
    upload = service.Upload(CollectiveKind.salary, file.filename or "", read_limited(request, file), effective_date)
    change, created = service.accept(session, principal, upload, idempotency_key=idempotency_key, dry_run=dry_run)
    return _accepted(response, change, created, dry_run)


@router.post("/new-participants", response_model=CollectiveChangeOut, status_code=202, responses=UPLOAD_RESPONSES)
def upload_new_participants(
    request: Request,
    response: Response,
    principal: Changer,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="The filled-in new-participants template (.xlsx)")],
    idempotency_key: IdempotencyKey = None,
    dry_run: DryRun = False,
) -> CollectiveChangeOut:
    """Accepts a filled-in new-participants template for processing (202), or lists every problem in it (422)."""
    upload = service.Upload(CollectiveKind.new_participants, file.filename or "", read_limited(request, file))
    change, created = service.accept(session, principal, upload, idempotency_key=idempotency_key, dry_run=dry_run)
    return _accepted(response, change, created, dry_run)


@router.get("/{change_id}", response_model=CollectiveChangeDetail)
def collective_change(change_id: int, principal: ChangeViewer, session: SessionDep) -> CollectiveChangeDetail:
    """Status and progress of one upload; why it failed, or the changes it made."""
    change = service.get_change(session, principal.employer_id, change_id)
    return change_detail(session, change, principal.language)
