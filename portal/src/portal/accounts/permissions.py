"""Who may do what (R1), in one table; every endpoint asks here through a dependency."""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    """The portal's roles; an account can combine them (§2)."""

    user_management = "user_management"
    hr = "hr"
    finance = "finance"
    service_desk = "service_desk"


class Permission(str, enum.Enum):
    """Things a user can be allowed to do."""

    view_participants = "view_participants"
    change_participants = "change_participants"
    view_changes = "view_changes"
    view_schemes = "view_schemes"
    # R8: exporting the participant file (HR, User Management).
    export_participants = "export_participants"
    # R1/R14: every employer role may change its own and the company's contact details (Finance included).
    edit_contact_details = "edit_contact_details"
    use_chat = "use_chat"
    # R1/R13: financial documents are for Finance (and User Management), never for HR alone.
    view_financial_documents = "view_financial_documents"
    # R1: only User Management creates portal accounts for others (§2.1).
    manage_accounts = "manage_accounts"
    request_handoff = "request_handoff"
    # Insurer staff only: employer users never get it, whatever their roles.
    handle_handoffs = "handle_handoffs"


STAFF_PERMISSIONS = frozenset({Permission.handle_handoffs})


# R1: User Management may do everything an employer may; HR the participants, their changes and
# the scheme; Finance only financial documents and scheme details. Every employer user may ask for
# a human (a handoff). Service-desk staff act through their own console, not the employer endpoints.
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.user_management: frozenset(Permission) - STAFF_PERMISSIONS,
    Role.hr: frozenset(
        {
            Permission.view_participants,
            Permission.change_participants,
            Permission.view_changes,
            Permission.view_schemes,
            Permission.use_chat,
            Permission.request_handoff,
            Permission.export_participants,
            Permission.edit_contact_details,
        }
    ),
    Role.finance: frozenset(
        {Permission.view_schemes, Permission.view_financial_documents, Permission.use_chat, Permission.request_handoff,
         Permission.edit_contact_details}
    ),
    Role.service_desk: STAFF_PERMISSIONS,
}


def allows(roles: list[str], permission: Permission) -> bool:
    """Whether any of the roles grants the permission."""
    return any(permission in GRANTS.get(Role(role), frozenset()) for role in roles if role in Role._value2member_map_)
