"""The audit log: who did what, when, through which channel, with what outcome."""
