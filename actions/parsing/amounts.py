"""Yearly full-time salaries in euros (jaarsalaris) as HR users type them in the chat."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from babel import numbers as babel_numbers

from actions.parsing.dates import require_language

CENT = Decimal("0.01")
# Without a euro sign or a multiplier, a number below this is more likely a day, a year, hours or a percentage.
BARE_MINIMUM = Decimal(10_000)
# Without a euro sign, seven digits are a participant number (and nine a BSN), not a salary.
BARE_LIMIT = Decimal(1_000_000)
# Even with a euro sign, eight digits or more are a BSN or a slip of the keyboard.
MARKED_LIMIT = Decimal(10_000_000)

_MULTIPLIERS = {"k": 1000, "duizend": 1000, "thousand": 1000}

# Both languages' words are recognised: the language of a short answer is easily misjudged.
_AMOUNT = re.compile(
    r"(?P<before>€|\beur\b|\beuro\b)?\s*"
    r"(?<![\w.,/-])(?P<number>\d(?:[\d.,]*\d)?)(?!\d|[.,]\d)"
    r"(?:,-{1,2})?"  # no cents, the Dutch way: "€ 58.000,-"
    r"(?:\s*(?P<multiplier>k|duizend|thousand)\b)?"
    r"(?:\s*(?P<after>€|\beur\b|\beuros?\b))?"
    r"(?![/-]\d|\s*(?:%|procent\b|percent\b|pct\b))"
)


def parse_amount(text: str, language: str) -> Decimal | None:
    """Returns the salary in euros a message mentions, to the cent, or None if it names no plausible one."""
    require_language(language)  # the separator rules below are the same in both languages
    found = {value for value in map(_value, _AMOUNT.finditer(text.lower())) if value is not None}
    # Two different amounts ("van 52.000 naar 58.000") are for the user to settle, not for us to guess.
    return found.pop() if len(found) == 1 else None


def format_amount(value: Decimal, language: str) -> str:
    """Returns the amount in euros as the language writes it: "€ 52.242,28", "€52,242.28"."""
    return babel_numbers.format_currency(value, "EUR", locale=require_language(language))


def _value(match: re.Match[str]) -> Decimal | None:
    """Returns the matched number times its multiplier, to the cent, if it is a plausible salary."""
    number = _read_number(match["number"])
    if number is None:
        return None
    value = (number * _MULTIPLIERS.get(match["multiplier"] or "", 1)).quantize(CENT, rounding=ROUND_HALF_UP)
    # A euro sign, the word euro or a "k" marks a number as money; without one, only a salary-sized number is.
    if match["before"] or match["after"] or match["multiplier"]:
        return value if Decimal(0) < value < MARKED_LIMIT else None
    return value if BARE_MINIMUM <= value < BARE_LIMIT else None


def _read_number(text: str) -> Decimal | None:
    """Reads digits with thousands and decimal separators, in either convention; None if they are no number."""
    last = max(text.rfind("."), text.rfind(","))
    if last == -1:
        return Decimal(text)
    integer, fraction = text[:last], text[last + 1 :]
    if len(fraction) == 3:
        # Three digits after the last separator are thousands: a yearly salary of €52.24 is not plausible.
        integer, fraction = text, ""
    elif len(fraction) > 2:
        return None
    separators = set(re.findall(r"[.,]", integer))
    if len(separators) > 1 or (fraction and text[last] in separators):
        return None
    groups = re.split(r"[.,]", integer)
    if len(groups) > 1 and (len(groups[0]) > 3 or any(len(group) != 3 for group in groups[1:])):
        return None
    return Decimal("".join(groups) + (f".{fraction}" if fraction else ""))
