"""Handoffs: conversations the assistant hands to a human service-desk colleague (overdracht)."""
