"""Jalali days and months as spans of aware Iran-time moments.

The archive listing filters by Jalali day and the archive sitemaps group by Jalali month; turning
those into ``[start, end)`` moments lets the corpus answer them with a binary search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time

import jdatetime

from .corpus import TEHRAN

MONTHS_A_YEAR = 12
# Persian (۰-۹) and Arabic-Indic (٠-٩) digits both reach the site in query strings.
LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
DATE = re.compile(r"\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})\s*")

Month = tuple[int, int]


def day_of(moment: datetime) -> tuple[int, int, int]:
    """The Jalali (year, month, day) of ``moment`` in Iran time."""
    local = jdatetime.date.fromgregorian(date=moment.astimezone(TEHRAN).date())
    return local.year, local.month, local.day


def month_of(moment: datetime) -> Month:
    """The Jalali (year, month) of ``moment`` in Iran time."""
    year, month, _ = day_of(moment)
    return year, month


def day_start(year: int, month: int, day: int) -> datetime:
    """Midnight starting the Jalali day, Iran time (where DST skipped midnight, the skip's end)."""
    gregorian = jdatetime.date(year, month, day).togregorian()
    return datetime.combine(gregorian, time(), tzinfo=TEHRAN).astimezone(TEHRAN)


def next_day_start(year: int, month: int, day: int) -> datetime:
    """Midnight ending the Jalali day."""
    following = jdatetime.date(year, month, day) + jdatetime.timedelta(days=1)
    return day_start(following.year, following.month, following.day)


def next_month(month: Month) -> Month:
    """The Jalali month after ``month``."""
    year, number = month
    return (year + 1, 1) if number == MONTHS_A_YEAR else (year, number + 1)


def month_span(month: Month) -> tuple[datetime, datetime]:
    """``[start, end)`` of the Jalali month."""
    return day_start(*month, 1), day_start(*next_month(month), 1)


def months(first: Month, last: Month) -> Iterator[Month]:
    """Every Jalali month from ``first`` to ``last`` inclusive."""
    month = first
    while month <= last:
        yield month
        month = next_month(month)


def parse_date(text: str) -> tuple[int, int, int] | None:
    """``1403/03/01`` in Latin, Persian or Arabic-Indic digits, if a valid Jalali date."""
    match = DATE.fullmatch(text.translate(LATIN_DIGITS))
    if match is None:
        return None
    year, month, day = (int(group) for group in match.groups())
    try:
        jdatetime.date(year, month, day)
    except ValueError:
        return None
    return year, month, day
