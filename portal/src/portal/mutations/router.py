"""Mutation endpoints (§4.2) and the submitted-changes lists (§4.5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.collective import service as collective_service
from portal.collective.router import change_out
from portal.collective.schemas import CollectiveChangeOut
from portal.db import get_session
from portal.mutations import service
from portal.mutations.schemas import (
    FamilyMemberRequest,
    MutationRequest,
    MutationResponse,
    SalaryChangeRequest,
    TerminationRequest,
)

router = APIRouter(prefix="/api", tags=["mutations"])
Changer = Annotated[Principal, Depends(require(Permission.change_participants))]
ChangeViewer = Annotated[Principal, Depends(require(Permission.view_changes))]
SessionDep = Annotated[Session, Depends(get_session)]
DryRun = Annotated[bool, Query(description="Validate only; nothing is recorded")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="The same key returns the same mutation"),
]

RESPONSES = {
    403: {"description": "The role does not allow changes"},
    404: {"description": "No such participant for this employer"},
    409: {"description": "A collective change is processing"},
    422: {"description": "A rule refuses the change: {errors: [{code, field, message}]}"},
}


def _answer(
    response: Response,
    session: Session,
    principal: Principal,
    number: str,
    body: MutationRequest,
    idempotency_key: str | None,
    dry_run: bool,
) -> MutationResponse:
    mutation, created = service.submit(
        session, principal, number, body, idempotency_key=idempotency_key, dry_run=dry_run
    )
    response.status_code = 200 if dry_run else 201
    if not dry_run and not created:
        response.headers["Idempotent-Replayed"] = "true"
    return mutation


@router.post("/participants/{number}/salary-change", response_model=MutationResponse, status_code=201, responses=RESPONSES)
def salary_change(
    number: str,
    body: SalaryChangeRequest,
    principal: Changer,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    dry_run: DryRun = False,
) -> MutationResponse:
    """A new full-time salary and/or part-time percentage (§4.2.1)."""
    return _answer(response, session, principal, number, body, idempotency_key, dry_run)


@router.post("/participants/{number}/termination", response_model=MutationResponse, status_code=201, responses=RESPONSES)
def termination(
    number: str,
    body: TerminationRequest,
    principal: Changer,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    dry_run: DryRun = False,
) -> MutationResponse:
    """The employee leaves service (uitdiensttreding, §4.2.2)."""
    return _answer(response, session, principal, number, body, idempotency_key, dry_run)


@router.post(
    "/participants/{number}/family-members", response_model=MutationResponse, status_code=201, responses=RESPONSES
)
def family_member(
    number: str,
    body: FamilyMemberRequest,
    principal: Changer,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    dry_run: DryRun = False,
) -> MutationResponse:
    """A partner or child, with BSN (§4.2.3)."""
    return _answer(response, session, principal, number, body, idempotency_key, dry_run)


class IndividualChange(MutationResponse):
    """A row of 'submitted changes individual': the participant's latest change by effective date."""

    participant_name: str


@router.get("/changes/individual", response_model=list[IndividualChange])
def individual_changes(principal: ChangeViewer, session: SessionDep) -> list[IndividualChange]:
    """Per participant the latest change by effective date, including changes made outside the portal (R12)."""
    return [
        IndividualChange(**service.to_response(m).model_dump(), participant_name=m.participant.listed_name)
        for m in service.latest_per_participant(session, principal.employer_id)
    ]


@router.get("/changes/collective", response_model=list[CollectiveChangeOut])
def collective_changes(principal: ChangeViewer, session: SessionDep) -> list[CollectiveChangeOut]:
    """The employer's collective uploads, newest first, with their processing status and progress."""
    return [change_out(c) for c in collective_service.list_changes(session, principal.employer_id)]
