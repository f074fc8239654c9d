"""Activating an account (§1) and getting back in: forgotten username, forgotten password."""
