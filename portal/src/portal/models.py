"""Every table, imported in one place so Alembic sees the whole schema."""

from portal.accounts.models import ChatConversation, LoginThrottle, User
from portal.audit.models import AuditEvent
from portal.collective.models import CollectiveChange
from portal.documents.models import Document
from portal.employers.models import Coverage, Employer, Scheme
from portal.exports.models import ParticipantExport
from portal.handoffs.models import Handoff
from portal.mutations.models import Mutation
from portal.participants.models import FamilyMember, Participant
from portal.teams.models import TeamsLink

__all__ = [
    "AuditEvent",
    "ChatConversation",
    "CollectiveChange",
    "Coverage",
    "Document",
    "Employer",
    "FamilyMember",
    "Handoff",
    "LoginThrottle",
    "Mutation",
    "Participant",
    "ParticipantExport",
    "Scheme",
    "TeamsLink",
    "User",
]
