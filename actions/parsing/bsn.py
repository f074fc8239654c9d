"""Citizen service numbers (burgerservicenummer, BSN): finding, checking and masking them."""

from __future__ import annotations

import re

BSN_LENGTH = 9
SHOWN_DIGITS = 4
# The elfproef's weights: 9 for the first digit down to 2 for the eighth, and -1 for the last.
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)

# As typed, as written on a passport ("1234.56.782") or in threes; eight digits when the leading zero was dropped.
# [0-9] rather than \d, which also matches other scripts' digits.
_BSN = re.compile(
    r"(?<![0-9])(?<![0-9][.,-])"
    r"(?:[0-9]{9}|[0-9]{8}"
    r"|[0-9]{4}([ .])[0-9]{2}\1[0-9]{3}"
    r"|[0-9]{3}([ .])[0-9]{3}\2[0-9]{3}"
    r"|[0-9]{3}([ .])[0-9]{2}\3[0-9]{3})"
    r"(?![0-9]|[.,-][0-9])"
)


def find_bsn(text: str) -> str | None:
    """Returns the first BSN-like number in a message as nine digits, valid or not, or None."""
    match = _BSN.search(text)
    return _digits(match[0]) if match is not None else None


def is_valid_bsn(bsn: str) -> bool:
    """Tells whether nine digits pass the elfproef (and are not all zeros)."""
    if not re.fullmatch(r"[0-9]{9}", bsn) or bsn == "0" * BSN_LENGTH:
        return False
    return sum(weight * int(digit) for weight, digit in zip(_WEIGHTS, bsn, strict=True)) % 11 == 0


def mask_bsn(bsn: str) -> str:
    """Returns the BSN with all but its last four digits hidden: "*****6782"."""
    return "*" * (BSN_LENGTH - SHOWN_DIGITS) + _digits(bsn)[-SHOWN_DIGITS:]


def mask_bsns_in(text: str) -> str:
    """Returns the text with every BSN-like number masked, for transcripts and logs."""
    return _BSN.sub(lambda match: mask_bsn(match[0]), text)


def _digits(typed: str) -> str:
    """Returns the digits of a BSN as typed, with a dropped leading zero restored."""
    return re.sub(r"[^0-9]", "", typed).zfill(BSN_LENGTH)
