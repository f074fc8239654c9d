"""Every table, imported in one place so Alembic sees the whole schema."""

from portal.accounts.models import ChatConversation, LoginThrottle, PendingAccount, RevokedToken, User
from portal.activation.models import VerificationCode
from portal.audit.models import AuditEvent
from portal.collective.models import CollectiveChange
from portal.documents.models import Document
from portal.employers.models import Coverage, Employer, Scheme
from portal.exports.models import ParticipantExport
from portal.handoffs.models import Handoff
from portal.mail.models import OutboxMail
from portal.mutations.models import Mutation
from portal.participants.models import FamilyMember, NameWord, Participant, ParticipantWord
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
    "NameWord",
    "OutboxMail",
    "Participant",
    "ParticipantExport",
    "ParticipantWord",
    "PendingAccount",
    "RevokedToken",
    "Scheme",
    "TeamsLink",
    "User",
    "VerificationCode",
]
