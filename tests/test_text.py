"""Unit tests of the text cleaning functions."""

from __future__ import annotations

import pytest

from mizan_crawler.text import (
    ZWNJ,
    clean_chars,
    collapse_spaces,
    normalize_line,
    normalize_or_none,
    parse_news_code,
    strip_end_marker,
    tidy_zwnj,
    to_ascii_digits,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("كتاب", "کتاب"),  # Arabic kaf
        ("علي", "علی"),  # Arabic yeh
        ("موسى", "موسی"),  # alef maksura
        ("\u200fسلام\u200e", "سلام"),  # RLM / LRM
        ("\ufeffخبر", "خبر"),  # BOM
        ("داد\u00adگاه", "دادگاه"),  # soft hyphen
        ("دو\u200bکلمه", "دوکلمه"),  # zero-width space
        ("\u202bمتن\u202c", "متن"),  # bidi embedding
        ("a\u00a0b", "a b"),  # NBSP
        ("a\u202fb\u2009c", "a b c"),  # narrow and thin spaces
    ],
)
def test_clean_chars(raw: str, clean: str) -> None:
    assert clean_chars(raw) == clean


def test_clean_chars_keeps_zwnj_and_diacritics() -> None:
    text = f"گفت{ZWNJ}وگو دِل"
    assert clean_chars(text) == text


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        (f"گفت{ZWNJ}{ZWNJ}{ZWNJ}وگو", f"گفت{ZWNJ}وگو"),
        (f"کتاب{ZWNJ} ها", "کتاب ها"),
        (f"کتاب {ZWNJ}ها", "کتاب ها"),
        (f"{ZWNJ}آغاز پایان{ZWNJ}", "آغاز پایان"),
        (f"نخست{ZWNJ}وزیر و صهیونیست{ZWNJ}ها", f"نخست{ZWNJ}وزیر و صهیونیست{ZWNJ}ها"),
    ],
)
def test_tidy_zwnj(raw: str, tidy: str) -> None:
    assert tidy_zwnj(raw) == tidy


def test_collapse_spaces() -> None:
    assert collapse_spaces("  یک   دو  ") == "یک دو"


def test_normalize_line_everything_at_once() -> None:
    raw = f"\u200f  رئيس\u00a0\u00a0 قوه {ZWNJ}{ZWNJ}قضاييه\n گفت{ZWNJ}{ZWNJ}وگو كرد  "
    assert normalize_line(raw) == f"رئیس قوه قضاییه گفت{ZWNJ}وگو کرد"


def test_normalize_line_keeps_digits_in_prose() -> None:
    assert normalize_line("۲۵ نفر و 3 مورد و ٤ پرونده") == "۲۵ نفر و 3 مورد و ٤ پرونده"


def test_normalize_line_is_idempotent() -> None:
    once = normalize_line(f" a{ZWNJ} {ZWNJ}{ZWNJ}b\u00a0 ي ")
    assert normalize_line(once) == once


def test_normalize_or_none() -> None:
    assert normalize_or_none(None) is None
    assert normalize_or_none(" \u200f\u00a0 ") is None
    assert normalize_or_none(" متن ") == "متن"


@pytest.mark.parametrize(
    ("paragraph", "kept"),
    [
        ("انتهای پیام/", None),
        ("انتهای پیام", None),
        ("متن خبر. انتهای پیام/", "متن خبر."),
        ("متن خبر", "متن خبر"),
        ("انتهای پیام/ این پایان نیست", "انتهای پیام/ این پایان نیست"),
        (f"متن خبر{ZWNJ}انتهای پیام/", "متن خبر"),  # the ZWNJ would join nothing
        (f"گفت{ZWNJ}وگو شد", f"گفت{ZWNJ}وگو شد"),
    ],
)
def test_strip_end_marker(paragraph: str, kept: str | None) -> None:
    assert strip_end_marker(paragraph) == kept


def test_to_ascii_digits() -> None:
    assert to_ascii_digits("۱۴۰۳/٠٥/01") == "1403/05/01"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("کد خبر: ۴۷۷۶۱۲۴", 4776124),
        ("کد خبر: ٤٧٧٦١٢٤", 4776124),
        ("\u200fکد خبر:\u00a0567943", 567943),
        ("کد خبر:", None),
        (None, None),
    ],
)
def test_parse_news_code(text: str | None, code: int | None) -> None:
    assert parse_news_code(text) == code
