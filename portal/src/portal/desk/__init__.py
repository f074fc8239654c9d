"""The service desk's console pages: the queue of handed-over conversations and one conversation, live."""
