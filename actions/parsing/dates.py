"""Dates as HR users type them in the chat, in Dutch or English, found inside a sentence."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import cache

import dateparser
from babel import dates as babel_dates

# Day first in Dutch, month first in English: "1/3/2027" is 1 March in nl and 3 January in en.
DATE_ORDERS = {"nl": "DMY", "en": "MDY"}

# Small counts that users write as words: "over twee weken", "four days a week".
SMALL_NUMBERS = {
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip

# Babel knows the month names; "sept" is English usage that only en_GB lists.
_NAME_LOCALES = {"nl": ("nl",), "en": ("en", "en_GB")}

_ORDINAL = r"(?:st|nd|rd|th|ste|de|e)?"
# Digits that belong to something bigger (an amount, another date, a number) are not a date's.
_NOT_AFTER_NUMBER = r"(?<![\d/.,-])"
_NOT_BEFORE_NUMBER = r"(?![\d/-]|[.,]\d)"

_Converter = Callable[[re.Match[str], str, date], date | None]

_END_WORDS = frozenset({"eind", "einde", "end"})
_NEXT_WORDS = frozenset({"volgende", "komende", "next", "the next", "coming"})


def parse_date(text: str, language: str, today: date) -> date | None:
    """Returns the date a message mentions, relative to `today`, or None when it mentions none."""
    normalized = " ".join(text.lower().split())
    for pattern, convert in _rules(require_language(language)):
        for match in pattern.finditer(normalized):
            found = convert(match, language, today)
            if found is not None:
                return found
    return None


def format_date(value: date, language: str) -> str:
    """Returns the date written out with the month's name and the year: "1 maart 2027", "1 March 2027"."""
    # Day first with the month's name reads unambiguously in both languages, unlike en's "March 1, 2027".
    return babel_dates.format_date(value, "d MMMM y", locale=require_language(language))


def require_language(language: str) -> str:
    """Returns the language if the parsers know it; raises for any other."""
    if language not in DATE_ORDERS:
        raise ValueError(f"Unsupported language {language!r}: pass one of {sorted(DATE_ORDERS)}.")
    return language


def _with_dateparser(span: str, language: str, today: date) -> date | None:
    """Returns dateparser's reading of a span we extracted, relative to `today`."""
    settings = {
        "DATE_ORDER": DATE_ORDERS[language],
        "RELATIVE_BASE": datetime.combine(today, time()),
        # "vrijdag" on a form asking from when something applies means the coming Friday.
        "PREFER_DATES_FROM": "future",
    }
    parsed = dateparser.parse(span, languages=[language], settings=settings)
    return parsed.date() if parsed is not None else None


def _nearest_occurrence(month: int, day: int, today: date) -> date | None:
    """Returns the date with this month and day nearest to `today`, the later one on a tie."""
    # A range of years, so that 29 February finds a leap year.
    candidates = []
    for year in range(today.year - 4, today.year + 5):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda found: (abs(found - today), found < today), default=None)


def _month_start(today: date, months_ahead: int) -> date:
    """Returns the first day of the month `months_ahead` after today's."""
    index = today.year * 12 + today.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def _month_end(first: date) -> date:
    """Returns the last day of the month that starts on `first`."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _year_or_nearest(found: date | None, year: str | None, today: date) -> date | None:
    """Returns the date as parsed if the user gave a year, otherwise the nearest one with its day and month."""
    if found is None or year is not None:
        return found
    return _nearest_occurrence(found.month, found.day, today)


def _from_iso(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads 2027-03-01 ourselves: dateparser with DATE_ORDER DMY reads it as 3 January."""
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None


def _from_span(match: re.Match[str], language: str, today: date) -> date | None:
    """Lets dateparser read the matched text as it is."""
    return _with_dateparser(match[0], language, today)


def _from_numeric(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "1-3-2027" in the language's order, if dateparser took its first two numbers as day and month."""
    found = _with_dateparser(match[0], language, today)
    return found if _has_day_and_month(found, match[0]) else None


def _from_numeric_without_year(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "1-3" in the language's order, in the year that puts it nearest to today."""
    found = _with_dateparser(match[0], language, today)
    return _year_or_nearest(found, None, today) if _has_day_and_month(found, match[0]) else None


def _has_day_and_month(found: date | None, span: str) -> bool:
    """Tells whether the span's first two numbers are the date's day and month, in either order."""
    # dateparser takes what cannot be a month for a year: "1-13" would be 1 November 2113.
    numbers = sorted(int(number) for number in re.findall(r"\d+", span)[:2])
    return found is not None and numbers == sorted((found.day, found.month))


def _from_day_and_month_name(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "1 maart", "1e maart", "March 1st, 2027" without the ordinal suffix, which dateparser's nl misses."""
    span = " ".join(part for part in (match["day"], match["month"], match["year"]) if part)
    found = _with_dateparser(span, language, today)
    if found is None or found.day != int(match["day"]):
        # dateparser reads an impossible day as a year: "32 maart" would be 27 March 2032.
        return None
    return _year_or_nearest(found, match["year"], today)


def _from_month_edge(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "eind maart" / "start of March", which dateparser does not know, as that month's last or first day."""
    span = " ".join(part for part in ("1", match["month"], match["year"]) if part)
    first = _year_or_nearest(_with_dateparser(span, language, today), match["year"], today)
    if first is None:
        return None
    return _month_end(first) if match["edge"] in _END_WORDS else first


def _from_relative_month(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "eind volgende maand" or "per volgende maand", which dateparser misses or reads as today + 1 month."""
    edge, which = match["edge"], match["which"]
    months_ahead = 1 if which in _NEXT_WORDS else 0
    if edge is None and months_ahead == 0:
        # "per maand" or "deze maand" names no particular day.
        return None
    first = _month_start(today, months_ahead)
    return _month_end(first) if edge in _END_WORDS else first


def _from_weekday_next_week(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "volgende week vrijdag" as that weekday of next (Monday-based) week, which dateparser misses."""
    next_monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    return next_monday + timedelta(days=_vocabulary(language).weekdays[match["day"]])


def _from_weekday(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "next Friday" / "aanstaande vrijdag" as the coming Friday: dateparser only knows the bare weekday."""
    return _with_dateparser(match["day"], language, today)


def _from_count(match: re.Match[str], language: str, today: date) -> date | None:
    """Reads "over twee weken" with the count in digits, as dateparser knows no Dutch number words."""
    count = str(SMALL_NUMBERS.get(match["count"], match["count"]))
    return _with_dateparser(f"{match['lead']} {count} {match['unit']}", language, today)


class _Vocabulary:
    """The month and weekday names of one language, from Babel."""

    def __init__(self, language: str) -> None:
        """Collects the wide and abbreviated month names and the wide weekday names."""
        self.months = _names(babel_dates.get_month_names, language, ("wide", "abbreviated"))
        # Only full weekday names: the Dutch abbreviations "do", "ma", "wo" are ordinary words.
        self.weekdays = _names(babel_dates.get_day_names, language, ("wide",))
        self.month_pattern = _alternatives(self.months)
        self.weekday_pattern = _alternatives(self.weekdays)


def _names(getter: Callable[..., dict[int, str]], language: str, widths: Iterable[str]) -> dict[str, int]:
    """Returns Babel's names of months or weekdays for a language, lowercased, with their number."""
    return {
        name.lower().rstrip("."): number
        for locale in _NAME_LOCALES[language]
        for width in widths
        for number, name in getter(width, locale=locale).items()
    }


def _alternatives(words: Iterable[str]) -> str:
    """Returns a regex alternation that tries longer words first, so "maart" wins over "mar"."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@cache
def _vocabulary(language: str) -> _Vocabulary:
    """Returns the (cached) vocabulary of a language."""
    return _Vocabulary(language)


@cache
def _rules(language: str) -> tuple[tuple[re.Pattern[str], _Converter], ...]:
    """Returns the language's patterns with their readers, the most specific first."""
    months = _vocabulary(language).month_pattern
    weekdays = _vocabulary(language).weekday_pattern
    counts = _alternatives(SMALL_NUMBERS)
    year = r"(?:,?\s+(?P<year>\d{4})\b)?"
    shared = [
        (
            rf"{_NOT_AFTER_NUMBER}(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}}){_NOT_BEFORE_NUMBER}",
            _from_iso,
        ),
        (rf"{_NOT_AFTER_NUMBER}\d{{1,2}}([-/.])\d{{1,2}}\1(?:\d{{4}}|\d{{2}}){_NOT_BEFORE_NUMBER}", _from_numeric),
        (
            rf"{_NOT_AFTER_NUMBER}(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{months})\b\.?{year}",
            _from_day_and_month_name,
        ),
    ]
    by_language = {
        "nl": [
            (rf"\b(?P<edge>einde?|begin)\s+(?:van\s+)?(?P<month>{months})\b\.?{year}", _from_month_edge),
            (
                r"\b(?:(?P<edge>einde?|begin)\s+(?:van\s+)?)?(?:(?P<which>de|deze|volgende|komende)\s+)?maand\b",
                _from_relative_month,
            ),
            (rf"\b(?:volgende|komende)\s+week\s+(?P<day>{weekdays})\b", _from_weekday_next_week),
            (rf"\b(?P<day>{weekdays})\s+(?:volgende|komende)\s+week\b", _from_weekday_next_week),
            (
                rf"\b(?P<lead>over)\s+(?P<count>\d{{1,3}}|{counts})\s+"
                r"(?P<unit>dagen|dag|weken|week|maanden|maand|jaar)\b",
                _from_count,
            ),
            (r"\b(?:overmorgen|morgen|vandaag|gisteren)\b", _from_span),
            (rf"\b(?:(?:aanstaande|komende|volgende|deze)\s+)?(?P<day>{weekdays})\b", _from_weekday),
        ],
        "en": [
            (
                rf"\b(?P<month>{months})\b\.?\s+(?P<day>\d{{1,2}}){_ORDINAL}\b(?![.,/-]?\d){year}",
                _from_day_and_month_name,
            ),
            (rf"\b(?P<edge>end|start|beginning)\s+of\s+(?P<month>{months})\b\.?{year}", _from_month_edge),
            (
                r"\b(?:(?P<edge>end|start|beginning)\s+of\s+)?"
                r"(?:(?P<which>the\s+next|the|this|next|coming)\s+)?month\b",
                _from_relative_month,
            ),
            (rf"\bnext\s+week\s+(?P<day>{weekdays})\b", _from_weekday_next_week),
            (rf"\b(?P<day>{weekdays})\s+(?:of\s+)?next\s+week\b", _from_weekday_next_week),
            (
                rf"\b(?P<lead>in)\s+(?P<count>\d{{1,3}}|{counts}|an?)\s+(?P<unit>days?|weeks?|months?|years?)\b",
                _from_count,
            ),
            (r"\b(?:(?:the\s+)?day\s+after\s+tomorrow|tomorrow|today|yesterday)\b", _from_span),
            (rf"\b(?:(?:next|this|coming)\s+)?(?P<day>{weekdays})\b", _from_weekday),
        ],
    }
    # Last, because "1/3" on its own is the weakest sign of a date.
    fallback = [(rf"{_NOT_AFTER_NUMBER}\d{{1,2}}[-/]\d{{1,2}}{_NOT_BEFORE_NUMBER}", _from_numeric_without_year)]
    return tuple((re.compile(pattern), convert) for pattern, convert in [*shared, *by_language[language], *fallback])
