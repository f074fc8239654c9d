"""What 'today' is for the insurer, and calendar-month arithmetic for the three-month limits."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from portal.config import get_settings


def today() -> date:
    """Today in the insurer's time zone (Europe/Amsterdam), not the server's."""
    return datetime.now(get_settings().tz).date()


def add_months(value: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier), clamped to the month's last day."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(value.day, calendar.monthrange(year, month)[1]))
