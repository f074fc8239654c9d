"""Parsers and formatters for the values HR users type in the chat: dates, salaries, part-time percentages, BSNs."""

from actions.parsing.amounts import format_amount, parse_amount
from actions.parsing.bsn import find_bsn, is_valid_bsn, mask_bsn, mask_bsns_in
from actions.parsing.dates import format_date, parse_date
from actions.parsing.parttime import ParttimeParse, format_percentage, parse_parttime

__all__ = [
    "ParttimeParse",
    "find_bsn",
    "format_amount",
    "format_date",
    "format_percentage",
    "is_valid_bsn",
    "mask_bsn",
    "mask_bsns_in",
    "parse_amount",
    "parse_date",
    "parse_parttime",
]
