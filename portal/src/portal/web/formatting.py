"""Amounts, percentages and dates as the pages show them, in the page's language (§4.1 lists '€ 52.242,28')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from babel.dates import format_date

from portal.config import get_settings
from portal.i18n import babel_locale, long_date, money, percentage


@dataclass(frozen=True)
class Formatter:
    """Formats values for one page; templates call it as `fmt.money(...)`, `fmt.day(...)`."""

    language: str

    def money(self, value: Decimal | str | None) -> str:
        """'€ 52.242,28' (nl) or '€52,242.28' (en); empty for no value."""
        return "" if value is None else money(Decimal(value), self.language)

    def percentage(self, value: Decimal | str | None) -> str:
        """'100,000%' (nl) or '100.000%' (en); empty for no value."""
        return "" if value is None else percentage(Decimal(value), self.language)

    def day(self, value: date | None) -> str:
        """A date in a table: '01-08-2019' (nl) or '01/08/2019' (en), as the user's browser writes them."""
        if value is None:
            return ""
        pattern = "dd-MM-yyyy" if self.language == "nl" else "dd/MM/yyyy"
        return format_date(value, pattern, locale=babel_locale(self.language))

    def long_day(self, value: date | None) -> str:
        """An unambiguous date in a sentence: '1 maart 2027' or '1 March 2027'."""
        return "" if value is None else long_date(value, self.language)

    def requested(self, value: datetime | None) -> str:
        """The day a change was requested, in the insurer's time zone (stored as naive UTC)."""
        if value is None:
            return ""
        local = value.replace(tzinfo=UTC).astimezone(get_settings().tz)
        return long_date(local.date(), self.language)
