"""Contact details (§6, R14): my details, my company, my advisor."""
