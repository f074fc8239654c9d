"""Documents of the pension schemes (§5, R13): financial and legal PDFs with a shared unread mark."""
