"""Participant endpoints: the overview and the detail (§4, §4.1)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.dependencies import Principal, require
from portal.accounts.permissions import Permission
from portal.audit.service import mask_bsn
from portal.db import get_session
from portal.errors import PortalError
from portal.mutations import rules
from portal.mutations.models import Mutation
from portal.participants import service
from portal.participants.models import Participant
from portal.participants.schemas import (
    CoverageOut,
    FamilyMemberOut,
    MutationOut,
    ParticipantDetail,
    ParticipantPage,
    ParticipantRow,
    ProblemOut,
)

router = APIRouter(prefix="/api/participants", tags=["participants"])
Viewer = Annotated[Principal, Depends(require(Permission.view_participants))]
SessionDep = Annotated[Session, Depends(get_session)]


def row(participant: Participant) -> ParticipantRow:
    """The overview row of a participant."""
    return ParticipantRow(
        number=participant.number,
        name=participant.listed_name,
        date_in_service=participant.date_in_service,
        fulltime_salary=participant.fulltime_salary,
        parttime_percentage=participant.parttime_percentage,
        status=participant.status.value,
        scheme=participant.scheme.number,
    )


def _change_blocked(session: Session, participant: Participant, language: str) -> ProblemOut | None:
    # The same checks a mutation runs first, so the assistant can tell before asking for values.
    try:
        rules.ensure_no_collective_processing(session, participant.employer_id)
        rules.ensure_changeable(participant)
    except PortalError as error:
        return ProblemOut(**error.problems[0].render(language))
    return None


@router.get("", response_model=ParticipantPage)
def list_participants(
    principal: Viewer,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100, description="Number (prefix) or name fragments")] = "",
    scheme: Annotated[int | None, Query(description="Scheme number")] = None,
    sort: Literal["name", "number", "date_in_service", "fulltime_salary", "parttime_percentage", "status"] = "name",
    order: Literal["asc", "desc"] = "asc",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ParticipantPage:
    """The employer's participants, searched by number or (part of) a name, per scheme, sorted and paged."""
    participants, total = service.search(
        session,
        principal.employer_id,
        query=q,
        scheme=scheme,
        sort=sort,
        descending=order == "desc",
        page=page,
        page_size=page_size,
    )
    return ParticipantPage(items=[row(p) for p in participants], total=total, page=page, page_size=page_size)


@router.get("/{number}", response_model=ParticipantDetail)
def participant_detail(number: str, principal: Viewer, session: SessionDep) -> ParticipantDetail:
    """Personal data, coverages, employment, family and change history of one participant."""
    participant = service.get_participant(session, principal.employer_id, number)
    changes = session.scalars(
        select(Mutation)
        .where(Mutation.participant_id == participant.id)
        .order_by(Mutation.requested_at.desc(), Mutation.id.desc())
    ).all()
    english = principal.language == "en"
    return ParticipantDetail(
        change_blocked=_change_blocked(session, participant, principal.language),
        **row(participant).model_dump(),
        first_name=participant.first_name,
        initials=participant.initials,
        infix=participant.infix,
        last_name=participant.last_name,
        gender=participant.gender,
        birth_date=participant.birth_date,
        bsn_masked=mask_bsn(participant.bsn),
        termination_date=participant.termination_date,
        scheme_name=participant.scheme.name,
        coverages=[
            CoverageOut(code=c.code, name=c.name_en if english else c.name_nl) for c in participant.scheme.coverages
        ],
        family_members=[
            FamilyMemberOut(
                relation=m.relation.value,
                first_name=m.first_name,
                infix=m.infix,
                last_name=m.last_name,
                birth_date=m.birth_date,
                bsn_masked=mask_bsn(m.bsn),
            )
            for m in participant.family_members
        ],
        changes=[
            MutationOut(
                id=m.id,
                type=m.type.value,
                status=m.status.value,
                effective_date=m.effective_date,
                requested_at=m.requested_at,
                channel=m.channel.value,
                payload=m.payload,
            )
            for m in changes
        ],
    )
