"""Portal accounts, login with TOTP, tokens, and who may do what (R1)."""
