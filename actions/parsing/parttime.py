"""Part-time percentages (deeltijdpercentage) as HR users type them in the chat."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import numbers as babel_numbers

from actions.parsing.dates import SMALL_NUMBERS, require_language

HUNDRED = Decimal(100)
PRECISION = Decimal("0.001")
# The usual Dutch full-time week; an employer's own may be 36 or 38 hours, so a reading from hours is confirmed.
FULL_TIME_HOURS = Decimal(40)
FULL_TIME_DAYS = Decimal(5)


@dataclass(frozen=True)
class ParttimeParse:
    """A part-time percentage read from a message; `certain` is False when the assistant should confirm it."""

    percentage: Decimal | None
    certain: bool


NOTHING = ParttimeParse(percentage=None, certain=False)

_Reading = tuple[Decimal, bool]


def parse_parttime(text: str, language: str) -> ParttimeParse:
    """Returns the part-time percentage a message mentions, or a parse without one."""
    require_language(language)  # both languages' words are recognised: short answers are easily misjudged
    normalized = " ".join(text.lower().split())
    for pattern, read in _RULES:
        match = pattern.search(normalized)
        if match is not None:
            return _within_range(*read(match))
    return NOTHING


def format_percentage(value: Decimal, language: str) -> str:
    """Returns the percentage without trailing zeros in the language's notation: "88,889%", "88.889%"."""
    return babel_numbers.format_percent(value / HUNDRED, "#,##0.###%", locale=require_language(language))


def _within_range(percentage: Decimal, certain: bool) -> ParttimeParse:
    """Returns the reading to three decimals if it is above 0 and at most 100, else one without a percentage."""
    if not Decimal(0) < percentage <= HUNDRED:
        return NOTHING
    return ParttimeParse(percentage.quantize(PRECISION, rounding=ROUND_HALF_UP), certain)


def _decimal(number: str) -> Decimal:
    """Reads a number with a decimal comma or point, or a small number written as a word."""
    if number in SMALL_NUMBERS:
        return Decimal(SMALL_NUMBERS[number])
    return Decimal(number.replace(",", "."))


def _percentage(match: re.Match[str]) -> _Reading:
    """Reads "80%", "80 procent", "parttime 50"."""
    return _decimal(match["value"]), True


def _ratio(match: re.Match[str]) -> _Reading:
    """Reads "32 van de 40 uur" or "4 out of 5 days"."""
    whole = _decimal(match["whole"])
    if whole == 0:
        return Decimal(0), True
    return _decimal(match["part"]) / whole * HUNDRED, True


def _fraction(match: re.Match[str]) -> _Reading:
    """Reads "0,8" or "0.8 fte" as a fraction of full time."""
    return _decimal(match["value"]) * HUNDRED, True


def _hours(match: re.Match[str]) -> _Reading:
    """Reads "32 uur" against a 40-hour week, to be confirmed."""
    return _decimal(match["value"]) / FULL_TIME_HOURS * HUNDRED, False


def _days(match: re.Match[str]) -> _Reading:
    """Reads "vier dagen per week" against a 5-day week, to be confirmed."""
    return _decimal(match["value"]) / FULL_TIME_DAYS * HUNDRED, False


def _full_time(match: re.Match[str]) -> _Reading:
    """Reads "fulltime" or "voltijd"."""
    return HUNDRED, True


def _half_time(match: re.Match[str]) -> _Reading:
    """Reads "halftime" or "half time"."""
    return Decimal(50), True


def _bare_number(match: re.Match[str]) -> _Reading:
    """Reads an answer that is only a number ("80"), to be confirmed, as it could also be hours."""
    return _decimal(match["value"]), False


def _number(name: str) -> str:
    """Returns a pattern for a whole number, not the digits of a date, an amount or a longer number."""
    return rf"(?<![\d.,/-])(?P<{name}>\d{{1,3}}(?:[.,]\d+)?)(?!\d|[.,]\d)"


_WORDS = "|".join(sorted(SMALL_NUMBERS, key=len, reverse=True))
_HOUR_UNITS = r"(?:uur|uren|u|hours?|hrs?|h)"
_DAY_UNITS = r"(?:dagen|dag|days?)"

# The first pattern that matches decides, so explicit notations come before readings that need a guess.
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], _Reading]], ...] = tuple(
    (re.compile(pattern), read)
    for pattern, read in [
        (_number("value") + r"\s*(?:%|procent\b|percent\b|pct\b)", _percentage),
        # No bare "of": in Dutch "32 of 36 uur" means 32 or 36 hours.
        (
            rf"{_number('part')}\s*(?:(?:{_HOUR_UNITS}|{_DAY_UNITS})\s+)?"
            rf"(?:van\s+de|van|out\s+of)\s+{_number('whole')}",
            _ratio,
        ),
        (_number("value") + r"\s*fte\b", _fraction),
        (r"(?<![\d.,/-])(?P<value>0[.,]\d{1,5}|1[.,]0{1,5})(?!\d|[.,]\d)", _fraction),
        # "8 uur per dag" is a working day, not a week.
        (rf"{_number('value')}\s*{_HOUR_UNITS}\b(?!\s*(?:per|a|in\s+de|each)\s+(?:dag|day)\b)", _hours),
        # "over drie dagen" and "in three days" are dates.
        (
            rf"(?<!\bover\s)(?<!\bin\s)"
            rf"(?P<value>\b(?:{_WORDS})|(?<![\d.,/-])\d(?:[.,]\d)?(?!\d|[.,]\d))\s+{_DAY_UNITS}\b",
            _days,
        ),
        (r"\b(?:part[\s-]?time|deeltijds?)\s+(?:(?:voor|for|at)\s+)?" + _number("value"), _percentage),
        (r"\b(?:full[\s-]?time|voltijds?)\b", _full_time),
        (r"\bhalf[\s-]?time\b", _half_time),
        ("^" + _number("value") + "$", _bare_number),
    ]
)
