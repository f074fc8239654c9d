"""The frequently asked questions of the service page (§8), drawn from the manual's tips; nl/en through the catalog."""

from __future__ import annotations

from portal.i18n import N_

FAQ: tuple[tuple[str, str], ...] = (
    (N_("I do not see the option to create portal accounts. Why not?"),
     N_("Only users with the User Management role can create portal accounts. Ask a colleague with that role.")),
    (N_("How do I change the language of the portal?"),
     N_("Click the globe icon at the top of the page. The portal is in Dutch by default; you can choose English.")),
    (N_("How far ahead can I pass on a salary change or a termination?"),
     N_("Up to three months ahead. Changes with an earlier date (retroactive) are possible as well.")),
    (N_("Why can I not change a participant?"),
     N_("Participants with the status dormant (slaper) have left service; no changes are possible for them.")),
    (N_("Why do I need a citizen service number (BSN) for a partner or child?"),
     N_("We always need the BSN to register a partner or a child with the participant.")),
    (N_("Why is the date shown as mm/dd/yyyy?"),
     N_("The date format follows your browser's language settings. In Dutch it is dd/mm/yyyy.")),
    (N_("How long does a collective change take?"),
     N_("At most twenty-four hours. You can follow its status under submitted changes collective. Until it has been "
        "processed, no individual changes are possible for your company.")),
    (N_("Why do I see a different change under submitted changes than the one I requested?"),
     N_("You see the latest change per participant by effective date. After a retroactive change, a later change is "
        "applied again and is then the one shown.")),
    (N_("A document is no longer marked as unread, but I have not opened it. How come?"),
     N_("The unread mark is kept per pension scheme: once one user of your company has opened a document, it is no "
        "longer marked as unread for anyone.")),
    (N_("How do I change my company's details?"),
     N_("Under contact details you can change the postal address and the contact person. For any other detail, "
        "please contact us.")),
    (N_("Can I change my pension scheme through the portal?"),
     N_("No. Please contact us if something in the scheme needs to change.")),
    (N_("I have a good idea for the portal. Where can I leave it?"),
     N_("We would love to hear it. Please contact your contact person at the insurer.")),
)
