"""Collective changes (collectieve wijzigingen): uploads that change many participants at once."""
