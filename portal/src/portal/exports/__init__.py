"""Export of the participant file as of a chosen date, with its history (§4.2.4, R8)."""
