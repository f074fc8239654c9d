"""Microsoft Teams: which Teams user (tenant + AAD object id) is which portal user."""
