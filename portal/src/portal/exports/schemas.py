"""Request and response bodies of the export endpoints."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from portal.exports.models import ParticipantExport


class ExportRequest(BaseModel):
    """The date the file should show the state of, and optionally one scheme (all schemes otherwise)."""

    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="The participant file as it was (or will be) on this date")
    scheme: int | None = Field(default=None, description="Scheme number; every scheme when left out")


class ExportOut(BaseModel):
    """One entry of the export history; the file stays downloadable as it was made."""

    id: int
    as_of: date
    scheme: int | None
    created_at: datetime
    requested_by: str | None
    row_count: int
    filename: str
    size: int
    download_url: str

    @classmethod
    def of(cls, export: ParticipantExport) -> ExportOut:
        """The history entry as the API shows it."""
        return cls(
            id=export.id,
            as_of=export.as_of,
            scheme=export.scheme_number,
            created_at=export.created_at,
            requested_by=export.requested_by.full_name if export.requested_by else None,
            row_count=export.row_count,
            filename=export.filename,
            size=export.size,
            download_url=f"/api/exports/{export.id}/file",
        )
