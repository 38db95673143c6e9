"""Parse the publication dates Mizan prints into timezone-aware timestamps.

Every form the site is known to print is accepted: day-month-year and time-first orders, Persian,
Arabic-Indic and Latin digits, a weekday and the «تاریخ انتشار:» label, numeric ``1403/05/01``,
doubled spaces, bidi marks and Arabic letters in month names. Anything else, and any date that does
not exist in the Jalali calendar, raises :class:`DateParseError`: a date is never guessed.

Times are Iran local time; ``zoneinfo``'s ``Asia/Tehran`` knows the summer time Iran kept until 2022
(pytz's zone gives a wrong +03:26 offset when used as a tzinfo). A local time that occurs twice
when the clocks went back takes its first (summer-time) occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime

from .text import clean_chars, to_ascii_digits

TEHRAN = ZoneInfo("Asia/Tehran")

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("فروردین",),
            ("اردیبهشت",),
            ("خرداد",),
            ("تیر",),
            ("مرداد", "امرداد"),
            ("شهریور",),
            ("مهر",),
            ("آبان",),
            ("آذر",),
            ("دی",),
            ("بهمن",),
            ("اسفند",),
        ),
        start=1,
    )
    for name in names
}
_MONTH_ALTERNATION = "|".join(sorted(MONTHS, key=len, reverse=True))
_NAMED_DATE = re.compile(rf"(?<!\d)(\d{{1,2}}) ?({_MONTH_ALTERNATION}) ?(\d{{4}})(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?!\d)")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])")
# How far the meta tag and the printed date may drift apart and still count as one moment.
AGREEMENT_TOLERANCE = timedelta(minutes=1)
JALALI_YEAR_LIMIT = 1700  # a year below this in a user-given day is a Jalali year


class DateParseError(ValueError):
    """A publication date that cannot be read or does not exist; carries the raw text."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(f"{message}: {raw!r}")
        self.raw = raw


@dataclass(frozen=True)
class PublicationDate:
    """A parsed publication moment with its Jalali spelling and the text it came from."""

    moment: datetime
    raw: str

    @property
    def iso(self) -> str:
        """ISO 8601 with the Iran offset of that day, e.g. ``2024-06-01T08:00:00+03:30``."""
        return self.moment.isoformat()

    @property
    def jalali(self) -> str:
        """Jalali date and minute, e.g. ``1403-03-12 08:00``."""
        local = self.moment.astimezone(TEHRAN).replace(tzinfo=None)
        return jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y-%m-%d %H:%M")


def _prepare(raw: str) -> str:
    text = to_ascii_digits(clean_chars(raw))
    return re.sub(r"\s+", " ", text)


def _find_date(text: str, raw: str) -> tuple[int, int, int]:
    named = _NAMED_DATE.findall(text)
    numeric = _NUMERIC_DATE.findall(text)
    if len(named) + len(numeric) != 1:
        raise DateParseError("expected exactly one Jalali date", raw)
    if named:
        day, month, year = named[0]
        return int(year), MONTHS[month], int(day)
    year, month, day = numeric[0]
    return int(year), int(month), int(day)


def _find_time(text: str, raw: str) -> tuple[int, int, int]:
    times = _TIME.findall(text)
    if len(times) != 1:
        raise DateParseError("expected exactly one time of day", raw)
    hour, minute, second = times[0]
    return int(hour), int(minute), int(second or 0)


def parse_jalali(raw: str) -> PublicationDate:
    """Parse a printed Jalali date and time (Iran local time) into an aware timestamp."""
    text = _prepare(raw)
    year, month, day = _find_date(text, raw)
    hour, minute, second = _find_time(text, raw)
    try:
        local = jdatetime.datetime(year, month, day, hour, minute, second).togregorian()
    except ValueError as exc:
        raise DateParseError(f"no such Jalali date or time ({exc})", raw) from exc
    return PublicationDate(moment=local.replace(tzinfo=TEHRAN), raw=raw)


def parse_iso(raw: str) -> PublicationDate:
    """Parse an ISO 8601 timestamp with an offset, as in ``article:published_time``."""
    try:
        moment = datetime.fromisoformat(to_ascii_digits(raw.strip()))
    except ValueError as exc:
        raise DateParseError("not an ISO 8601 timestamp", raw) from exc
    if moment.tzinfo is None:
        raise DateParseError("ISO timestamp without an offset", raw)
    return PublicationDate(moment=moment.astimezone(TEHRAN), raw=raw)


def _instants(moment: datetime) -> set[datetime]:
    """The moments an Iran wall-clock time may name, in UTC: one, or two in the hour that DST's
    end repeated (and for a time in the hour its start skipped, the offsets before and after)."""
    return {moment.astimezone(UTC), moment.replace(fold=1 - moment.fold).astimezone(UTC)}


def agree(first: PublicationDate, second: PublicationDate) -> bool:
    """Whether two parsed dates can name the same moment (to the minute the site prints).

    Compared as instants: Python subtracts two times of one zone on the wall clock, which is an
    hour off across a DST change. A printed time that is ambiguous agrees with either reading.
    """
    return any(
        abs(one - other) < AGREEMENT_TOLERANCE
        for one in _instants(first.moment)
        for other in _instants(second.moment)
    )


_DAY = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def parse_day(text: str) -> date:
    """A calendar day: Gregorian ``2024-06-01`` or Jalali ``1403-03-12`` (a year below 1700 is
    Jalali), returned as the Gregorian day."""
    match = _DAY.fullmatch(to_ascii_digits(text.strip()))
    if not match:
        raise DateParseError(
            "expected a day as 2024-06-01 (Gregorian) or 1403-03-12 (Jalali)", text
        )
    year, month, day = (int(part) for part in match.groups())
    try:
        if year < JALALI_YEAR_LIMIT:
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except ValueError as exc:
        raise DateParseError(f"no such day ({exc})", text) from exc


def day_start(day: date) -> datetime:
    """The first instant of ``day`` in Iran."""
    return datetime(day.year, day.month, day.day, tzinfo=TEHRAN)


def day_end(day: date) -> datetime:
    """The last second of ``day`` in Iran (ranges of days are inclusive)."""
    return day_start(day + timedelta(days=1)) - timedelta(seconds=1)
