"""Unit tests of the Jalali date parser."""

from __future__ import annotations

import pytest

from mizan_crawler.dates import DateParseError, agree, parse_iso, parse_jalali


@pytest.mark.parametrize(
    ("raw", "iso", "jalali"),
    [
        ("۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-01T08:00:00+03:30", "1403-03-12 08:00"),
        ("8:00 - 12 خرداد 1403", "2024-06-01T08:00:00+03:30", "1403-03-12 08:00"),
        (
            "تاریخ انتشار: یکشنبه ۱۵ تیر ۱۳۹۹ - ۱۰:۳۰",
            "2020-07-05T10:30:00+04:30",
            "1399-04-15 10:30",
        ),
        ("۱۴۰۳/۰۵/۰۱ - ۱۱:۰۵", "2024-07-22T11:05:00+03:30", "1403-05-01 11:05"),
        ("20:06 - 1396/12/19", "2018-03-10T20:06:00+03:30", "1396-12-19 20:06"),
        ("١٢ خرداد ١٤٠٣ - ٠٨:٠٠", "2024-06-01T08:00:00+03:30", "1403-03-12 08:00"),
        ("\u200f۱۲  خرداد   ۱۴۰۳\u200e -  ۰۸:۰۰", "2024-06-01T08:00:00+03:30", "1403-03-12 08:00"),
        ("۱ دي ۱۴۰۲ - ۰۹:۱۵", "2023-12-22T09:15:00+03:30", "1402-10-01 09:15"),
        ("۱ دى ۱۴۰۲ - ۰۹:۱۵", "2023-12-22T09:15:00+03:30", "1402-10-01 09:15"),
        ("۵ امرداد ۱۳۹۸ - ۱۸:۴۵", "2019-07-27T18:45:00+04:30", "1398-05-05 18:45"),
        ("1403-03-12 08:00", "2024-06-01T08:00:00+03:30", "1403-03-12 08:00"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰:۳۰", "2024-06-01T08:00:30+03:30", "1403-03-12 08:00"),
    ],
)
def test_printed_forms(raw: str, iso: str, jalali: str) -> None:
    parsed = parse_jalali(raw)
    assert parsed.iso == iso
    assert parsed.jalali == jalali
    assert parsed.raw == raw


def test_dst_last_hour_of_summer_time_1401() -> None:
    assert parse_jalali("1401/06/30 23:30").iso == "2022-09-21T23:30:00+04:30"


def test_first_hour_after_summer_time_1401() -> None:
    assert parse_jalali("1401/07/01 00:30").iso.endswith("+03:30")


def test_no_summer_time_after_2022() -> None:
    assert parse_jalali("۱۵ تیر ۱۴۰۲ - ۱۰:۳۰").iso == "2023-07-06T10:30:00+03:30"


def test_leap_day_1403() -> None:
    assert parse_jalali("۳۰ اسفند ۱۴۰۳ - ۱۲:۰۰").iso == "2025-03-20T12:00:00+03:30"


@pytest.mark.parametrize(
    "raw",
    [
        "۳۰ اسفند ۱۴۰۴ - ۱۲:۰۰",  # 1404 is not a leap year
        "1404/12/30 12:00",
        "۳۲ خرداد ۱۴۰۳ - ۰۸:۰۰",
        "۱۲ خرداد ۱۴۰۳ - ۲۵:۰۰",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۷۵",
        "1403/13/01 08:00",
        "۱۲ خرداد ۱۴۰۳",  # no time of day: not padded with midnight
        "۰۸:۰۰",  # no date
        "دیروز",
        "",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ و ۱۳ خرداد ۱۴۰۳ - ۰۹:۰۰",  # two dates: ambiguous
    ],
)
def test_invalid_dates_raise_with_raw_text(raw: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_jalali(raw)
    assert caught.value.raw == raw
    assert repr(raw) in str(caught.value)


def test_parse_iso_keeps_the_moment_in_tehran_time() -> None:
    parsed = parse_iso("2024-06-01T04:30:00+00:00")
    assert parsed.iso == "2024-06-01T08:00:00+03:30"
    assert parsed.jalali == "1403-03-12 08:00"


@pytest.mark.parametrize("raw", ["2024-06-01T08:00:00", "not a date", "2024-13-01T00:00:00+03:30"])
def test_parse_iso_rejects_naive_and_bad(raw: str) -> None:
    with pytest.raises(DateParseError):
        parse_iso(raw)


def test_agree() -> None:
    printed = parse_jalali("۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰")
    assert agree(printed, parse_iso("2024-06-01T08:00:00+03:30"))
    assert agree(printed, parse_iso("2024-06-01T08:00:45+03:30"))
    assert not agree(printed, parse_iso("2024-06-01T10:00:00+03:30"))


def test_agree_compares_instants_across_dst_changes() -> None:
    # DST began at midnight ending 1 Farvardin 1400 (2021-03-21 20:30 UTC): 00:00-01:00 was skipped.
    # The meta time is canonical (01:23+04:30); a page printing 00:23 names the same instant.
    meta = parse_iso("2021-03-22T00:23:00+03:30")
    assert meta.iso == "2021-03-22T01:23:00+04:30"
    assert agree(parse_jalali("۲ فروردین ۱۴۰۰ - ۰۱:۲۳"), meta)
    assert agree(parse_jalali("۲ فروردین ۱۴۰۰ - ۰۰:۲۳"), meta)
    assert not agree(parse_jalali("۲ فروردین ۱۴۰۰ - ۰۲:۲۳"), meta)
    # DST ended at midnight ending 30 Shahrivar 1400: 23:00-24:00 of that day happened twice.
    printed = parse_jalali("۳۰ شهریور ۱۴۰۰ - ۲۳:۳۰")
    assert agree(printed, parse_iso("2021-09-21T23:30:00+04:30"))  # the first 23:30
    assert agree(printed, parse_iso("2021-09-21T23:30:00+03:30"))  # the second, an hour later
    assert not agree(printed, parse_iso("2021-09-21T22:30:00+04:30"))
