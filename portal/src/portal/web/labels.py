"""Names of the domain's codes as the pages show them (statuses, kinds of change, channels), translated there."""

from __future__ import annotations

from portal.i18n import N_

PARTICIPANT_STATUS = {"active": N_("Active"), "dormant": N_("Dormant")}
GENDER = {"M": N_("Male"), "V": N_("Female")}
RELATION = {"partner": N_("Partner"), "child": N_("Child")}
MUTATION_TYPE = {
    "new_participation": N_("New participation"),
    "salary_change": N_("Salary change"),
    "termination": N_("Termination of employment"),
    "family_member": N_("Partner or child added"),
    "intermediary_change": N_("Intermediary change"),
}
MUTATION_STATUS = {
    "received": N_("Received"),
    "processed": N_("Processed"),
    "additional_checks": N_("Additional checks"),
    "rejected": N_("Rejected"),
}
CHANNEL = {
    "portal": N_("Portal"),
    "chat": N_("Portal chat"),
    "teams": N_("Microsoft Teams"),
    "collective": N_("Collective change"),
    "external": N_("Outside the portal"),
}
COLLECTIVE_KIND = {"salary": N_("Salary and part-time percentage"), "new_participants": N_("New participants")}
COLLECTIVE_STATUS = {
    "received": N_("Received"),
    "processing": N_("Processing"),
    "processed": N_("Processed"),
    "failed": N_("Failed"),
}


def labels() -> dict[str, dict[str, str]]:
    """Every table of names, for a template's context (`labels.mutation_type[code]`)."""
    return {
        "participant_status": PARTICIPANT_STATUS,
        "gender": GENDER,
        "relation": RELATION,
        "mutation_type": MUTATION_TYPE,
        "mutation_status": MUTATION_STATUS,
        "channel": CHANNEL,
        "collective_kind": COLLECTIVE_KIND,
        "collective_status": COLLECTIVE_STATUS,
    }
