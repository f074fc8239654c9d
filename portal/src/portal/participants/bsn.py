"""The BSN (burgerservicenummer) and its eleven test (elfproef)."""

from __future__ import annotations


def is_valid_bsn(value: str) -> bool:
    """Whether a string is a BSN: nine digits (eight with an implied leading zero) passing the elfproef.

    The weighted sum 9·d1 + 8·d2 + … + 2·d8 − 1·d9 must be a multiple of 11 and not zero,
    which refuses 000000000.
    """
    digits = value.strip()
    if not digits.isdigit() or len(digits) not in (8, 9):
        return False
    digits = digits.zfill(9)
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total != 0 and total % 11 == 0


def normalize_bsn(value: str) -> str:
    """A BSN as nine digits, with the leading zero restored and spaces and dots removed."""
    return "".join(ch for ch in value if ch.isdigit()).zfill(9)
