"""Outgoing e-mail: every mail is written to the outbox table; SMTP delivers it when configured."""
