"""Response bodies of the collective endpoints and of 'submitted changes collective'."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class CollectiveProblemOut(BaseModel):
    """A problem of a failed change: its cell (field 'F7'), row, column and message in the reader's language."""

    code: str
    field: str | None
    message: str
    row: int | None = None
    column: str | None = None


class CollectiveRowOut(BaseModel):
    """A row a processed change applied: the participant and the mutation it made."""

    row: int
    participant: str
    participant_name: str
    mutation_id: int
    type: str
    status: str
    effective_date: date
    payload: dict[str, Any]


class CollectiveChangeOut(BaseModel):
    """A row of 'submitted changes collective': the upload, its processing status and progress."""

    id: int | None = None
    kind: str
    status: str
    effective_date: date | None
    uploaded_at: datetime
    filename: str
    row_count: int
    progress: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    dry_run: bool = False


class CollectiveChangeDetail(CollectiveChangeOut):
    """One collective change with why it failed or what it changed."""

    problems: list[CollectiveProblemOut]
    rows: list[CollectiveRowOut]
