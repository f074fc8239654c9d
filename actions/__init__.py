"""The action server package that `rasa run actions` loads."""
