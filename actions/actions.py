"""Custom actions of the assistant; the first ones arrive with the participant mutations."""
