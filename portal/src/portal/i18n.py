"""Dutch and English texts from Babel catalogs, chosen by the request's Accept-Language."""

from __future__ import annotations

import gettext
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for deferred translation
    """Marks a message for extraction; it is translated later, in the request's language."""
    return message


@lru_cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog for a language; English is the source language of the messages."""
    if language == "en":
        return gettext.NullTranslations()
    mo = LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo"
    if not mo.exists():
        raise RuntimeError(f"Missing compiled catalog {mo}: run `make install` (pybabel compile).")
    return Translations.load(str(LOCALE_DIR), [language], "messages")


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an Accept-Language header, Dutch when nothing matches."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            weighted.append((quality, tag.strip()))
    for _, tag in sorted(weighted, key=lambda item: -item[0]):
        language = tag.split("-")[0].lower()
        if language in SUPPORTED:
            return language
    return DEFAULT_LANGUAGE


def translate(message: str, language: str, **params: object) -> str:
    """A message in the given language with its parameters filled in."""
    return translations(language).gettext(message).format(**params)


def babel_locale(language: str) -> Locale:
    """The Babel locale used to format dates and amounts for a language."""
    return Locale.parse("nl_NL" if language == "nl" else "en_GB")


def long_date(value: date, language: str) -> str:
    """An unambiguous date: '1 maart 2027' or '1 March 2027'."""
    return format_date(value, "d MMMM y", locale=babel_locale(language))


def money(value: Decimal, language: str) -> str:
    """An amount in euros: '€ 52.242,28' or '€52,242.28'."""
    return format_currency(value, "EUR", locale=babel_locale(language))


def percentage(value: Decimal, language: str) -> str:
    """A part-time percentage with three decimals, as the portal lists it."""
    return format_decimal(value, "#,##0.000", locale=babel_locale(language)) + "%"
