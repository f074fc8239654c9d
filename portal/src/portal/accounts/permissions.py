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
    use_chat = "use_chat"


# R1: User Management may do everything; HR the participants, their changes and the scheme;
# Finance only financial documents and scheme details. Service-desk staff act through their
# own console (not the employer endpoints).
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.user_management: frozenset(Permission),
    Role.hr: frozenset(
        {
            Permission.view_participants,
            Permission.change_participants,
            Permission.view_changes,
            Permission.view_schemes,
            Permission.use_chat,
        }
    ),
    Role.finance: frozenset({Permission.view_schemes, Permission.use_chat}),
    Role.service_desk: frozenset(),
}


def allows(roles: list[str], permission: Permission) -> bool:
    """Whether any of the roles grants the permission."""
    return any(permission in GRANTS.get(Role(role), frozenset()) for role in roles if role in Role._value2member_map_)
