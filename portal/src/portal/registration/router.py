"""The new-participant endpoint (§4.3): `POST /api/participants`, with dry_run and Idempotency-Key like every change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.db import get_session
from portal.mutations.schemas import MutationResponse
from portal.registration import service
from portal.registration.schemas import NewParticipantRequest

router = APIRouter(prefix="/api", tags=["participants"])
Changer = Annotated[Principal, Depends(require(Permission.change_participants))]
SessionDep = Annotated[Session, Depends(get_session)]


@router.post(
    "/participants",
    response_model=MutationResponse,
    status_code=201,
    responses={
        403: {"description": "The role does not allow changes"},
        409: {"description": "A collective change is processing"},
        422: {"description": "A rule refuses the registration: {errors: [{code, field, message}]}"},
    },
)
def register_participant(
    body: NewParticipantRequest,
    principal: Changer,
    session: SessionDep,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=200, description="The same key returns the same mutation")
    ] = None,
    dry_run: Annotated[bool, Query(description="Validate only; nothing is recorded")] = False,
) -> MutationResponse:
    """A new participant (nieuwe deelnemer); status `additional_checks` when the insurer must check it first."""
    mutation, created = service.register(session, principal, body, idempotency_key=idempotency_key, dry_run=dry_run)
    response.status_code = 200 if dry_run else 201
    if not dry_run and not created:
        response.headers["Idempotent-Replayed"] = "true"
    return mutation
