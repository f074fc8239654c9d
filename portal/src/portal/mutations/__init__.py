"""Mutations (wijzigingen): every change to a participant, from any channel, as one history."""
