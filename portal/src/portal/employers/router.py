"""Scheme endpoints: the employer's schemes with their coverages (§7, R15)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.employers.models import Scheme

router = APIRouter(prefix="/api/schemes", tags=["schemes"])


class CoverageOut(BaseModel):
    """A coverage of a scheme, named in the user's language."""

    code: str
    name: str


class SchemeOut(BaseModel):
    """A scheme as the user sees it (read only)."""

    number: int
    name: str
    kind: str
    description: str
    contract_number: str
    coverages: list[CoverageOut]


@router.get("", response_model=list[SchemeOut])
def list_schemes(
    principal: Annotated[Principal, Depends(require(Permission.view_schemes))],
    session: Annotated[Session, Depends(get_session)],
) -> list[SchemeOut]:
    """The employer's schemes, in order."""
    english = principal.language == "en"
    schemes = session.scalars(
        select(Scheme)
        .where(Scheme.employer_id == principal.employer_id)
        .options(selectinload(Scheme.coverages))
        .order_by(Scheme.number)
    ).all()
    return [
        SchemeOut(
            number=s.number,
            name=s.name,
            kind=s.kind,
            description=s.description,
            contract_number=s.contract_number,
            coverages=[CoverageOut(code=c.code, name=c.name_en if english else c.name_nl) for c in s.coverages],
        )
        for s in schemes
    ]
