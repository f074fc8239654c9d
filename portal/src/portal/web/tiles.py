"""The home page's tiles: the manual's chapters, each shown only to the roles that may use it (R1)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.dependencies import Principal
from portal.accounts.permissions import Permission, allows
from portal.i18n import N_


@dataclass(frozen=True)
class Tile:
    """One chapter of the portal on the home page; `permission` None means every employer user."""

    key: str
    href: str
    title: str
    description: str
    icon: str
    permission: Permission | None
    staff: bool = False
    # The manual's §8: Service & contact opens in a new browser tab.
    new_tab: bool = False

    def visible_to(self, principal: Principal) -> bool:
        """Employer tiles for employer users with the permission; staff tiles for staff with it."""
        is_staff = principal.employer_id is None
        if is_staff != self.staff:
            return False
        return self.permission is None or allows(principal.user.roles, self.permission)


# In the manual's order (§4-§8). The chapters' own pages come with issue 5; until then they say so.
TILES: tuple[Tile, ...] = (
    Tile("participants", "/participants", N_("Participants"),
         N_("View your participants per pension scheme, and change their details."), "people",
         Permission.view_participants),
    Tile("arrange", "/arrange", N_("Arrange directly"),
         N_("Register a new participant, or pass on collective changes."), "bolt",
         Permission.change_participants),
    Tile("changes", "/changes", N_("Submitted changes"),
         N_("The latest change per participant, individual and collective."), "list",
         Permission.view_changes),
    Tile("financial-documents", "/documents/financial", N_("Financial documents"),
         N_("Invoices, booking overviews and reminders."), "euro",
         Permission.view_financial_documents),
    Tile("legal-documents", "/documents/legal", N_("Legal documents"),
         N_("Pension regulations, the agreement and addenda."), "folder",
         Permission.view_schemes),
    Tile("scheme", "/scheme", N_("Pension scheme"),
         N_("Details and coverage of your pension schemes."), "shield",
         Permission.view_schemes),
    Tile("profile", "/profile", N_("Contact details"),
         N_("My details, my company and my advisor."), "user",
         None),
    Tile("accounts", "/accounts/new", N_("Create portal account"),
         N_("Create portal accounts for your colleagues."), "key",
         Permission.manage_accounts),
    Tile("service", "/service", N_("Service & contact"),
         N_("Frequently asked questions and how to reach us."), "help",
         None, new_tab=True),
    Tile("desk", "/desk", N_("Service desk"),
         N_("Conversations the assistant handed over to a person."), "headset",
         Permission.handle_handoffs, staff=True),
)

# Chapters whose pages come later (issue 5): they answer a friendly "coming soon" page for now.
# Chapters that have their own pages now; the others still answer the "coming soon" page.
HAS_PAGES = frozenset({"participants", "changes", "accounts",
                       "financial-documents", "legal-documents", "scheme", "profile", "service", "arrange"})
COMING_SOON = tuple(tile for tile in TILES if not tile.staff and tile.key not in HAS_PAGES)


def tiles_for(principal: Principal) -> list[Tile]:
    """The tiles this user's roles allow, in the manual's order."""
    return [tile for tile in TILES if tile.visible_to(principal)]
