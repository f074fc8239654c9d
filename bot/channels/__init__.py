"""Our chat channels: each binds a conversation to the portal's verified chat token.

Rasa imports this package at start-up (credentials.yml names its channels), so this is where the Rasa
process gets its faster check of the action server's answers (bot/action_validation.py), its
remembered event lookup (bot/event_types.py), its kept-open connections to the action server
(bot/endpoint_sessions.py) and its JSON log lines (actions/logs.py).
"""

from actions.logs import json_for_every_log_line
from bot.action_validation import install as _install_action_validation
from bot.endpoint_sessions import install as _install_endpoint_sessions
from bot.event_types import install as _install_event_types

_install_action_validation()
_install_event_types()
_install_endpoint_sessions()
json_for_every_log_line()
