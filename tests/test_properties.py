"""Property-based tests of the cleaning functions and the date parser: arbitrary text never
raises anything but the parser's own error, normalisation is idempotent, ZWNJ inside words
survives, and news codes round-trip through every digit script."""

from __future__ import annotations

import contextlib
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from parsel import Selector

from mizan_crawler.dates import DateParseError, parse_day, parse_iso, parse_jalali
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
