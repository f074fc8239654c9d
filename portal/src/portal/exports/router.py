"""Export endpoints (§4.2.4, R8): make the participant file as of a date, list the history, download a file again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.downloads import XLSX, attachment
from portal.exports.schemas import ExportOut, ExportRequest
from portal.exports.service import create_export, export_file, export_history

router = APIRouter(prefix="/api/exports", tags=["exports"])
Exporter = Annotated[Principal, Depends(require(Permission.export_participants))]
SessionDep = Annotated[Session, Depends(get_session)]


@router.post("", response_model=ExportOut, status_code=201)
def make_export(body: ExportRequest, principal: Exporter, session: SessionDep) -> ExportOut:
    """Makes the participant file as of `as_of` (state rebuilt from the mutation history) and adds it to the history."""
    return ExportOut.of(create_export(session, principal, body.as_of, body.scheme))


@router.get("", response_model=list[ExportOut])
def list_exports(principal: Exporter, session: SessionDep) -> list[ExportOut]:
    """The export history of the employer, newest first."""
    return [ExportOut.of(export) for export in export_history(session, principal.employer_id)]


@router.get("/{export_id}/file", response_class=StreamingResponse,
            responses={200: {"content": {XLSX: {}}, "description": "The workbook, as an attachment"}})
def download_export(export_id: int, principal: Exporter, session: SessionDep) -> StreamingResponse:
    """The workbook of an earlier export, exactly as it was made."""
    export = export_file(session, principal.employer_id, export_id)
    return attachment(export.content, export.filename, XLSX)
