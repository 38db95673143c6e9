"""Property-based tests of the cleaning functions and the date parser: arbitrary text never
raises anything but the parser's own error, normalisation is idempotent, ZWNJ inside words
survives, and news codes round-trip through every digit script."""

from __future__ import annotations

import contextlib
import string
from datetime import date, datetime, time, timedelta
from typing import Any

import jdatetime
from hypothesis import given, settings
from hypothesis import strategies as st
from parsel import Selector

from mizan_crawler.dates import (
    DateContradiction,
    DateParseError,
    parse_day,
    parse_iso,
    parse_jalali,
)
from mizan_crawler.pages.article import NotAnArticle, parse_article
from mizan_crawler.pages.text_blocks import has_text, paragraphs
from mizan_crawler.text import (
    ZWNJ,
    clean_chars,
    collapse_spaces,
    normalize_line,
    parse_news_code,
    strip_end_marker,
    tidy_zwnj,
    to_ascii_digits,
)

PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكى"
NOISE = "\u200c\u200d\u200e\u200f\u00a0\u00ad\ufeff\u202a\u202e \t\n\x00\x07"
persian_text = st.text(
    alphabet=PERSIAN_LETTERS + NOISE + "۰۱۲۳۴۵۶۷۸۹٠١٢٣0123456789/:-", max_size=200
)
any_text = st.text(max_size=300)
words = st.text(alphabet="ابپتثجچحخدسشکگلمنوهی", min_size=1, max_size=8)


@given(any_text)
def test_normalize_line_is_idempotent(text: str) -> None:
    once = normalize_line(text)
    assert normalize_line(once) == once


@given(persian_text)
def test_normalized_text_has_no_noise(text: str) -> None:
    clean = normalize_line(text)
    assert not set(clean) & set("\u200e\u200f\u00a0\u00ad\ufeff\u202a\u202e\t\n\x00\x07يكى")
    assert "  " not in clean and clean == clean.strip()
    assert ZWNJ * 2 not in clean and f" {ZWNJ}" not in clean and f"{ZWNJ} " not in clean


@given(st.lists(st.tuples(words, words), min_size=1, max_size=6))
def test_zwnj_inside_words_survives(pairs: list[tuple[str, str]]) -> None:
    text = " ".join(f"{left}{ZWNJ}{right}" for left, right in pairs)
    assert normalize_line(text) == text
    assert tidy_zwnj(text) == text


@given(any_text)
def test_cleaning_functions_accept_any_text(text: str) -> None:
    for function in (clean_chars, collapse_spaces, tidy_zwnj, to_ascii_digits):
        assert isinstance(function(text), str)
    assert strip_end_marker(text) is None or isinstance(strip_end_marker(text), str)


@given(st.integers(min_value=1000, max_value=9_999_999_999))
def test_news_codes_round_trip_in_every_digit_script(code: int) -> None:
    latin = str(code)
    persian = latin.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    arabic = latin.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for written in (latin, persian, arabic):
        assert parse_news_code(f"کد خبر: {written}") == code
        assert parse_news_code(f"\u200fکد خبر:\u00a0{written}\u200e") == code


@given(persian_text)
def test_date_parser_raises_only_its_own_error(text: str) -> None:
    for parser in (parse_jalali, parse_iso, parse_day):
        try:
            parser(text)
        except DateParseError as error:
            assert error.raw == text


@given(any_text)
def test_date_parser_on_arbitrary_text(text: str) -> None:
    try:
        parsed = parse_jalali(text)
    except DateParseError:
        return
    assert parsed.moment.tzinfo is not None
    assert parsed.raw == text


@given(
    st.integers(min_value=1300, max_value=1500),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=31),
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
)
def test_valid_jalali_dates_round_trip(
    year: int, month: int, day: int, hour: int, minute: int
) -> None:
    raw = f"{year}/{month:02d}/{day:02d} {hour:02d}:{minute:02d}"
    try:
        parsed = parse_jalali(raw)
    except DateParseError:
        assert (month > 6 and day == 31) or (
            month == 12 and day == 30
        )  # 30 Esfand: leap years only
        return
    assert parsed.jalali == f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}"


@settings(max_examples=60)
@given(st.text(alphabet=string.printable + PERSIAN_LETTERS + "<>/=\"' ", max_size=2000))
def test_article_parser_never_crashes_on_arbitrary_markup(markup: str) -> None:
    with contextlib.suppress(NotAnArticle):  # the one documented refusal
        parse_article(
            Selector(text=markup or "<html></html>"),
            url="https://www.mizanonline.ir/fa/news/4776124",
            base_url="https://www.mizanonline.ir",
            crawled_at="t",
        )


# Markup around a body: text, blocks, skipped blocks (scripts, ads), comments and whitespace.
_body_parts = st.sampled_from(
    ["", " ", "\n", "متن", "<p>", "</p>", "<p>خبر</p>", "<br>", "<script>var a;</script>",
     "<div class='ads'>تبلیغ</div>", "<!-- یادداشت -->", "<figure><img src='a.jpg'></figure>",
     "<span> </span>", "<div>", "</div>"]
)  # fmt: skip


@given(st.lists(_body_parts, max_size=12))
def test_has_text_says_whether_paragraphs_finds_any(parts: list[str]) -> None:
    body = Selector(text=f"<div class='body'>{''.join(parts)}</div>").css(".body")[0].root
    assert has_text(body) == bool(paragraphs(body))


# Every printed form the date parser accepts, generated -----------------------------------------

_MONTH_NAMES = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر",
                "دی", "بهمن", "اسفند")  # fmt: skip
_DIGITS = st.sampled_from(["0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"])
_GAPS = st.sampled_from([" ", "\u200c", ""])


def _written(text: str, digits: str) -> str:
    return text.translate(str.maketrans("0123456789", digits))


@st.composite
def jalali_days(draw: st.DrawFn) -> jdatetime.date:
    year = draw(st.integers(min_value=1300, max_value=1450))
    month = draw(st.integers(min_value=1, max_value=12))
    last = (
        31
        if month <= 6
        else 30
        if month < 12
        else 30
        if jdatetime.date(year, 1, 1).isleap()
        else 29
    )
    return jdatetime.date(year, month, draw(st.integers(min_value=1, max_value=last)))


def _jalali_text(day: jdatetime.date, numeric: bool) -> str:
    if numeric:
        return f"{day.year}/{day.month:02d}/{day.day:02d}"
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


@st.composite
def twelve_hour_markers(draw: st.DrawFn, hour: int) -> tuple[str, int]:
    """A marker that names ``hour`` (0-23), with the hour printed beside it."""
    gap = draw(_GAPS)
    choices: list[tuple[str, int]] = []
    if hour < 12:
        printed = hour or 12
        choices += [("ق.ظ", printed), ("ق ظ", printed), (f"قبل{gap}از{gap}ظهر", printed)]
        choices += [(draw(st.sampled_from(["AM", "am", "a.m.", "A.M."])), printed)]
        if hour:
            choices += [("صبح", hour), ("بامداد", hour)]
    else:
        printed = hour - 12 or 12
        choices += [("ب.ظ", printed), ("ب ظ", printed), (f"بعد{gap}از{gap}ظهر", printed)]
        choices += [(draw(st.sampled_from(["PM", "pm", "p.m.", "P.M."])), printed)]
        choices += [("ظهر", 12)] if hour == 12 else [("عصر", printed)]
        if hour >= 18:
            choices += [("شب", printed)]
    return draw(st.sampled_from(choices))


@given(day=jalali_days(), hour=st.integers(0, 23), minute=st.integers(0, 59), digits=_DIGITS,
       numeric=st.booleans(), first=st.booleans(), data=st.data())  # fmt: skip
def test_twelve_hour_times_round_trip(
    *, day: jdatetime.date, hour: int, minute: int, digits: str, numeric: bool, first: bool,
    data: Any,
) -> None:  # fmt: skip
    marker, printed = data.draw(twelve_hour_markers(hour))
    clock = f"{marker} {printed:02d}:{minute:02d}" if first else f"{printed}:{minute:02d} {marker}"
    raw = _written(f"{_jalali_text(day, numeric)} - {clock}", digits)
    wall_clock = parse_jalali(raw).moment.replace(tzinfo=None)  # as printed, even in a DST gap
    assert wall_clock == datetime.combine(day.togregorian(), time(hour, minute))


@given(jalali_days(), st.integers(13, 99), st.sampled_from(["ب.ظ", "ق.ظ", "PM", "am", "عصر", "شب"]))
def test_an_hour_past_twelve_with_a_marker_is_refused(
    day: jdatetime.date, hour: int, marker: str
) -> None:
    raw = f"{_jalali_text(day, False)} - {hour}:00 {marker}"
    try:
        parse_jalali(raw)
    except DateParseError as error:
        assert error.raw == raw
        return
    raise AssertionError(f"accepted {raw!r}")


_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December")  # fmt: skip
_PERSIAN_GREGORIAN_MONTHS = ("ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت",
                             "سپتامبر", "اکتبر", "نوامبر", "دسامبر")  # fmt: skip


@st.composite
def gregorian_texts(draw: st.DrawFn, day: date) -> str:
    """``day`` in one of the Gregorian forms the parser reads."""
    english = _ENGLISH_MONTHS[day.month - 1]
    english = draw(st.sampled_from([english, english[:3], english.upper(), english.lower()]))
    separator = draw(st.sampled_from("/-."))
    pad = draw(st.booleans())
    month, dom = (f"{day.month:02d}", f"{day.day:02d}") if pad else (day.month, day.day)
    return draw(
        st.sampled_from(
            [
                f"{day.year}{separator}{month}{separator}{dom}",
                f"{day.day} {english} {day.year}",
                f"{english} {day.day}, {day.year}",
                f"{day.day} {_PERSIAN_GREGORIAN_MONTHS[day.month - 1]} {day.year}",
            ]
        )
    )


@given(day=jalali_days(), shift=st.integers(-400, 400), digits=_DIGITS, numeric=st.booleans(),
       first=st.booleans(), data=st.data())  # fmt: skip
def test_a_gregorian_date_beside_must_be_the_same_day(
    *, day: jdatetime.date, shift: int, digits: str, numeric: bool, first: bool, data: Any
) -> None:
    gregorian = data.draw(gregorian_texts(day.togregorian() + timedelta(days=shift)))
    jalali = f"{_jalali_text(day, numeric)} - 12:00"
    raw = _written(f"{gregorian} {jalali}" if first else f"{jalali} {gregorian}", digits)
    if shift:
        try:
            parse_jalali(raw)
        except DateContradiction as error:
            assert error.raw == raw and error.kind == "gregorian_mismatch"
            return
        raise AssertionError(f"accepted {raw!r}")
    parsed = parse_jalali(raw)
    assert parsed.moment.date() == day.togregorian()
    assert parsed.problems == ()


_WEEKDAY_SPELLINGS = (  # Monday first, as date.weekday() counts
    ("دوشنبه", "دو شنبه"),
    ("سه\u200cشنبه", "سه شنبه", "سهشنبه"),
    ("چهارشنبه", "چهار شنبه"),
    ("پنج\u200cشنبه", "پنجشنبه", "پنج شنبه"),
    ("جمعه",),
    ("شنبه",),
    ("یکشنبه", "یک\u200cشنبه", "یک شنبه", "يکشنبه"),
)


@given(jalali_days(), st.integers(0, 6), st.data())
def test_a_printed_weekday_is_checked_and_the_date_kept(
    day: jdatetime.date, weekday: int, data: Any
) -> None:
    name = data.draw(st.sampled_from(_WEEKDAY_SPELLINGS[weekday]))
    parsed = parse_jalali(f"تاریخ انتشار: {name} {_jalali_text(day, False)} - ۱۲:۰۰")
    assert parsed.moment.date() == day.togregorian()
    kinds = [kind for kind, _ in parsed.problems]
    assert kinds == ([] if weekday == day.togregorian().weekday() else ["weekday_mismatch"])
