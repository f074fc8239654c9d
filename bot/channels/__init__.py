"""Our chat channels: each binds a conversation to the portal's verified chat token."""
