"""The action server: form validation, submission and handoff, always acting with the user's chat token.

`rasa run actions --actions actions` imports every module of this package and registers its actions.
"""
