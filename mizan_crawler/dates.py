"""Parse the publication dates Mizan prints into timezone-aware timestamps.

Every form the site is known to print is accepted: day-month-year and time-first orders, Persian,
Arabic-Indic and Latin digits, a weekday and the «تاریخ انتشار:» label, numeric ``1403/05/01``,
doubled spaces, bidi marks and Arabic letters in month names. Sister sites on the same CMS add a
12-hour marker (``۰۸:۳۰ ب.ظ``, ``8:00 PM``) and a Gregorian date beside the Jalali one; both are
read, never ignored. Anything else, and any date that does not exist in the Jalali calendar, raises
:class:`DateParseError`: a date is never guessed.

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
JALALI_YEAR_LIMIT = 1700  # below: a Jalali year; from here on: a Gregorian one

# A word of Persian or Latin letters ends where no letter (nor a ZWNJ, which joins words) follows;
# digits may touch a marker (``8:00PM``, ``۰۸:۳۰ب.ظ``).
_LETTER = r"[^\W\d_]"
_OPEN = rf"(?<!{_LETTER})(?<!\u200c)"
_CLOSE = rf"(?!{_LETTER})(?!\u200c)"
_GAP = r"[ \u200c]{0,2}"  # between the words of «بعد از ظهر»: a space, a ZWNJ or nothing

# 12-hour markers, by what they say of the hour. Which hours each may name, and to what hour of
# the 24-hour clock, is in HOURS; any other hour with a marker is a contradiction, not a guess.
MARKERS = {
    "am": (rf"ق\.?{_GAP}ظ\.?", rf"قبل{_GAP}از{_GAP}ظهر", r"a\.?m\.?"),
    "pm": (rf"ب\.?{_GAP}ظ\.?", rf"بعد{_GAP}از{_GAP}ظهر", r"p\.?m\.?"),
    "morning": ("صبح", "بامداد"),
    "noon": ("ظهر",),
    "afternoon": ("عصر",),
    "night": (rf"(?:نیمه{_GAP})?شب",),
}
_MARKER = re.compile(
    "|".join(rf"{_OPEN}(?P<{kind}>{'|'.join(forms)}){_CLOSE}" for kind, forms in MARKERS.items()),
    re.IGNORECASE,
)
# marker kind -> {printed hour: hour of the day}. 12 AM is midnight and 12 PM noon; «صبح» and
# «بامداد» are before noon; «عصر» is after it. «شب» names 18-23 only as ۶ to ۱۱ شب: «۱۲ شب» may
# be either end of the day, and «۱ شب» to «۵ شب» are said of the small hours after midnight as
# often as of the evening, so those are refused rather than guessed.
HOURS: dict[str, dict[int, int]] = {
    "am": {0: 0, 12: 0, **{hour: hour for hour in range(1, 12)}},
    "pm": {12: 12, **{hour: hour + 12 for hour in range(1, 12)}},
    "morning": {hour: hour for hour in range(12)},
    "noon": {12: 12},
    "afternoon": {hour: hour + 12 for hour in range(1, 12)},
    "night": {hour: hour + 12 for hour in range(6, 12)},
}

# Gregorian dates printed beside the Jalali one: year first (``2024/06/01``, ``2024-06-01``) or
# with the month spelled out, in English or Persian (``1 June 2024``, ``June 1, 2024``,
# ``۱ ژوئن ۲۰۲۴``). ``01/06/2024`` may be the 1st of June or the 6th of January and is refused.
GREGORIAN_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "ژانویه", "ژانویهٔ"),
            ("february", "feb", "فوریه"),
            ("march", "mar", "مارس"),
            ("april", "apr", "آوریل", "آپریل"),
            ("may", "مه", "می"),
            ("june", "jun", "ژوئن", "جون"),
            ("july", "jul", "ژوئیه", "جولای"),
            ("august", "aug", "اوت", "آگوست"),
            ("september", "sep", "sept", "سپتامبر"),
            ("october", "oct", "اکتبر"),
            ("november", "nov", "نوامبر"),
            ("december", "dec", "دسامبر"),
        ),
        start=1,
    )
    for name in names
}
_G_MONTH = "|".join(sorted(GREGORIAN_MONTHS, key=len, reverse=True))
_G_DAY_MONTH = re.compile(
    rf"(?<!\d)(\d{{1,2}}) ?{_OPEN}({_G_MONTH})\.?{_CLOSE},? ?(\d{{4}})(?!\d)", re.IGNORECASE
)
_G_MONTH_DAY = re.compile(
    rf"{_OPEN}({_G_MONTH})\.?{_CLOSE} ?(\d{{1,2}}),? ?(\d{{4}})(?!\d)", re.IGNORECASE
)
_YEAR_LAST = re.compile(r"(?<![\d/\-.])\d{1,2}[/\-.]\d{1,2}[/\-.]\d{4}(?!\d)")

# Weekdays as Python numbers them (Monday 0). «سه‌شنبه» comes with a ZWNJ, a space or neither.
WEEKDAYS = {"دو": 0, "سه": 1, "چهار": 2, "پنج": 3, "": 5, "یک": 6}
WEEKDAY_NAMES = ("دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنج\u200cشنبه", "جمعه", "شنبه", "یکشنبه")
ENGLISH_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(
    rf"{_OPEN}(?:(?:(یک|دو|سه|چهار|پنج)[ \u200c]?)?شنبه|(جمعه)|({'|'.join(ENGLISH_WEEKDAYS)})){_CLOSE}",
    re.IGNORECASE,
)


class DateParseError(ValueError):
    """A publication date that cannot be read or does not exist; carries the raw text.

    ``kind`` names the page problem it is counted as (``mizan/problem/<kind>``).
    """

    kind = "date_unparseable"

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(f"{message}: {raw!r}")
        self.raw = raw


class DateContradiction(DateParseError):
    """The page prints a Gregorian date that is not the Jalali date's day. Either may be the
    wrong one, so neither is taken."""

    kind = "gregorian_mismatch"


@dataclass(frozen=True)
class PublicationDate:
    """A parsed publication moment with its Jalali spelling and the text it came from.

    ``problems`` are what the text says against itself without making the date unreadable (a
    weekday that is not the date's), as ``(kind, message)`` pairs.
    """

    moment: datetime
    raw: str
    problems: tuple[tuple[str, str], ...] = ()

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


def _gregorian_day(year: int, month: int, day: int, raw: str) -> date:
    if year < JALALI_YEAR_LIMIT:
        raise DateParseError(f"a Gregorian month with the year {year}", raw)
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateParseError(f"no such Gregorian date ({exc})", raw) from exc


def _gregorian_matches(text: str, raw: str) -> list[tuple[re.Match[str], date]]:
    """Every Gregorian date in ``text``, with the span it takes."""
    found = []
    for match in _NUMERIC_DATE.finditer(text):
        year, month, day = (int(part) for part in match.groups())
        if year >= JALALI_YEAR_LIMIT:
            found.append((match, _gregorian_day(year, month, day, raw)))
    for match in _G_DAY_MONTH.finditer(text):
        day, month, year = match.groups()
        month_number = GREGORIAN_MONTHS[month.lower()]
        found.append((match, _gregorian_day(int(year), month_number, int(day), raw)))
    for match in _G_MONTH_DAY.finditer(text):
        month, day, year = match.groups()
        month_number = GREGORIAN_MONTHS[month.lower()]
        found.append((match, _gregorian_day(int(year), month_number, int(day), raw)))
    return found


def take_gregorian(text: str, raw: str) -> tuple[date | None, str]:
    """The Gregorian date printed in ``text`` (or ``None``), and the text without it."""
    if _YEAR_LAST.search(text):
        raise DateParseError("a date with the year last is ambiguous (day or month first?)", raw)
    found = _gregorian_matches(text, raw)
    if len(found) > 1:
        raise DateParseError("more than one Gregorian date", raw)
    if not found:
        return None, text
    match, day = found[0]
    return day, text[: match.start()] + " " + text[match.end() :]


def _find_date(text: str, raw: str) -> tuple[int, int, int]:
    named = _NAMED_DATE.findall(text)
    numeric = _NUMERIC_DATE.findall(text)
    if len(named) + len(numeric) != 1:
        raise DateParseError("expected exactly one Jalali date", raw)
    if named:
        day, month, year = named[0]
        found = int(year), MONTHS[month], int(day)
    else:
        year, month, day = numeric[0]
        found = int(year), int(month), int(day)
    if found[0] >= JALALI_YEAR_LIMIT:
        raise DateParseError(f"a Jalali month with the year {found[0]}", raw)
    return found


def marker_kind(text: str, raw: str) -> str | None:
    """Which 12-hour marker ``text`` holds (a key of ``MARKERS``), or ``None``."""
    kinds = [match.lastgroup for match in _MARKER.finditer(text)]
    if len(kinds) > 1:
        raise DateParseError("more than one 12-hour marker", raw)
    return kinds[0] if kinds else None


def to_24_hour(hour: int, kind: str | None, raw: str) -> int:
    """The hour of the day a printed hour names with its 12-hour marker (or without one)."""
    if kind is None:
        return hour
    if hour not in HOURS[kind]:
        raise DateParseError(f"the hour {hour} contradicts its 12-hour marker ({kind})", raw)
    return HOURS[kind][hour]


def _find_time(text: str, raw: str) -> tuple[int, int, int]:
    times = _TIME.findall(text)
    if len(times) != 1:
        raise DateParseError("expected exactly one time of day", raw)
    hour, minute, second = times[0]
    return to_24_hour(int(hour), marker_kind(text, raw), raw), int(minute), int(second or 0)


def printed_weekdays(text: str) -> list[int]:
    """The weekdays named in ``text`` (Monday 0), Persian or English."""
    found = []
    for match in _WEEKDAY.finditer(text):
        prefix, friday, english = match.groups()
        if friday:
            found.append(4)
        elif english:
            found.append(ENGLISH_WEEKDAYS.index(english.lower()))
        else:
            found.append(WEEKDAYS[prefix or ""])
    return found


def weekday_problems(text: str, day: date, raw: str) -> tuple[tuple[str, str], ...]:
    """A ``weekday_mismatch`` for each printed weekday that is not ``day``'s. The date is still
    read: its digits name one day, a weekday only one in seven, and the CMS prints both."""
    return tuple(
        (
            "weekday_mismatch",
            f"{WEEKDAY_NAMES[printed]} printed, but the date is a {WEEKDAY_NAMES[day.weekday()]}"
            f": {raw!r}",
        )
        for printed in printed_weekdays(text)
        if printed != day.weekday()
    )


def parse_jalali(raw: str) -> PublicationDate:
    """Parse a printed Jalali date and time (Iran local time) into an aware timestamp.

    A Gregorian date beside it must be the same day (else :class:`DateContradiction`); a
    weekday that is not the date's is reported in ``problems``.
    """
    gregorian, text = take_gregorian(_prepare(raw), raw)
    year, month, day = _find_date(text, raw)
    hour, minute, second = _find_time(text, raw)
    try:
        local = jdatetime.datetime(year, month, day, hour, minute, second).togregorian()
    except ValueError as exc:
        raise DateParseError(f"no such Jalali date or time ({exc})", raw) from exc
    if gregorian is not None and gregorian != local.date():
        raise DateContradiction(
            f"the Gregorian date {gregorian.isoformat()} is not the Jalali date's day "
            f"{local.date().isoformat()}",
            raw,
        )
    return PublicationDate(
        moment=local.replace(tzinfo=TEHRAN),
        raw=raw,
        problems=weekday_problems(text, local.date(), raw),
    )


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


def before(first: PublicationDate, second: PublicationDate) -> bool:
    """Whether ``first`` is earlier than ``second`` by more than the printed minute can hide
    (compared as instants, not on Iran's wall clock)."""
    return first.moment.astimezone(UTC) <= second.moment.astimezone(UTC) - AGREEMENT_TOLERANCE


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
