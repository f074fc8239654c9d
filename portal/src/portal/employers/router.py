"""Scheme endpoints: the employer's schemes with their coverages (§7, R15)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.employers.models import Scheme
from portal.employers.service import scheme_of, schemes_of

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

    @classmethod
    def of(cls, scheme: Scheme, language: str) -> SchemeOut:
        """The scheme with its coverages named in the user's language."""
        english = language == "en"
        return cls(
            number=scheme.number,
            name=scheme.name,
            kind=scheme.kind,
            description=scheme.description,
            contract_number=scheme.contract_number,
            coverages=[CoverageOut(code=c.code, name=c.name_en if english else c.name_nl) for c in scheme.coverages],
        )


@router.get("", response_model=list[SchemeOut])
def list_schemes(
    principal: Annotated[Principal, Depends(require(Permission.view_schemes))],
    session: Annotated[Session, Depends(get_session)],
) -> list[SchemeOut]:
    """The employer's schemes, in order."""
    return [SchemeOut.of(scheme, principal.language) for scheme in schemes_of(session, principal.employer_id)]


@router.get("/{scheme_number}", response_model=SchemeOut)
def get_scheme(
    scheme_number: int,
    principal: Annotated[Principal, Depends(require(Permission.view_schemes))],
    session: Annotated[Session, Depends(get_session)],
) -> SchemeOut:
    """One scheme's details and coverage (§7); the portal changes no schemes."""
    return SchemeOut.of(scheme_of(session, principal.employer_id, scheme_number), principal.language)
