"""Unit tests of the Jalali date parser."""

from __future__ import annotations

import pytest

from mizan_crawler.dates import (
    DateContradiction,
    DateParseError,
    agree,
    before,
    parse_iso,
    parse_jalali,
)


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


# 12-hour markers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "hhmm"),
    [
        ("۱۲ خرداد ۱۴۰۳ - ۰۸:۳۰ ب.ظ", "20:30"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۸:۳۰ ب ظ", "20:30"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۸:۳۰ق.ظ", "08:30"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۸:۳۰ ق ظ", "08:30"),
        ("۱۲ خرداد ۱۴۰۳ - ۱۲:۱۰ ق.ظ", "00:10"),  # 12 AM is midnight
        ("۱۲ خرداد ۱۴۰۳ - ۱۲:۱۰ ب.ظ", "12:10"),  # 12 PM is noon
        ("۱۲ خرداد ۱۴۰۳ - ۱۱:۰۰ قبل از ظهر", "11:00"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۳:۰۰ بعد از ظهر", "15:00"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۳:۰۰ بعدازظهر", "15:00"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۳:۰۰ بعد\u200cاز\u200cظهر", "15:00"),
        ("۱۲ خرداد ۱۴۰۳ - بعد\u200cاز ظهر ۰۳:۰۰", "15:00"),  # marker first
        ("ب.ظ ۰۸:۳۰ - ۱۲ خرداد ۱۴۰۳", "20:30"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۷:۱۵ صبح", "07:15"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۲:۱۵ بامداد", "02:15"),
        ("۱۲ خرداد ۱۴۰۳ - ۱۲:۰۰ ظهر", "12:00"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۵:۲۰ عصر", "17:20"),
        ("۱۲ خرداد ۱۴۰۳ - ۱۰:۰۰ شب", "22:00"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۶:۰۰ شب", "18:00"),
        ("8:00 PM - 12 خرداد 1403", "20:00"),
        ("8:00PM - 12 خرداد 1403", "20:00"),
        ("8:00 pm - 12 خرداد 1403", "20:00"),
        ("8:00 p.m. - 12 خرداد 1403", "20:00"),
        ("12:05 AM - 12 خرداد 1403", "00:05"),
        ("11:59 a.m. - 12 خرداد 1403", "11:59"),
        ("PM 8:00 - 12 خرداد 1403", "20:00"),
        ("٠٨:٣٠ ب.ظ - ١٢ خرداد ١٤٠٣", "20:30"),  # Arabic-Indic digits
        ("1403/03/12 08:30:15 ب.ظ", "20:30"),
    ],
)
def test_twelve_hour_markers_are_read(raw: str, hhmm: str) -> None:
    parsed = parse_jalali(raw)
    assert parsed.jalali == f"1403-03-12 {hhmm}"
    assert parsed.iso.startswith(f"2024-06-01T{hhmm}:")
    assert parsed.problems == ()


@pytest.mark.parametrize(
    "raw",
    [
        "۱۲ خرداد ۱۴۰۳ - ۲۰:۳۰ ب.ظ",  # an hour past 12 with any marker
        "۱۲ خرداد ۱۴۰۳ - ۱۳:۰۰ ق.ظ",
        "20:00 PM - 12 خرداد 1403",
        "00:30 PM - 12 خرداد 1403",  # a 12-hour clock has no 0 in the afternoon
        "۱۲ خرداد ۱۴۰۳ - ۱۲:۰۰ صبح",  # noon or midnight?
        "۱۲ خرداد ۱۴۰۳ - ۱۲:۰۰ شب",  # which end of the day?
        "۱۲ خرداد ۱۴۰۳ - ۰۲:۰۰ شب",  # said of 02:00 as often as of 14:00
        "۱۲ خرداد ۱۴۰۳ - ۰۳:۰۰ ظهر",
        "۱۲ خرداد ۱۴۰۳ - ۱۲:۰۰ عصر",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ ق.ظ ب.ظ",  # two markers
    ],
)
def test_a_marker_that_contradicts_the_hour_is_an_error(raw: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_jalali(raw)
    assert caught.value.kind == "date_unparseable"
    assert caught.value.raw == raw


def test_marker_words_inside_other_words_are_not_markers() -> None:
    # «امشب» and «صبحگاه» hold «شب» and «صبح» but are words of their own.
    assert parse_jalali("امشب ۱۲ خرداد ۱۴۰۳ - ۰۲:۰۰").jalali == "1403-03-12 02:00"
    assert parse_jalali("صبحگاه ۱۲ خرداد ۱۴۰۳ - ۱۴:۰۰").jalali == "1403-03-12 14:00"


def test_twelve_hour_conversion_is_exact_across_dst() -> None:
    assert parse_jalali("۱۵ تیر ۱۳۹۹ - ۱۰:۳۰ ب.ظ").iso == "2020-07-05T22:30:00+04:30"


# A Gregorian date beside the Jalali one -----------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 2024/06/01",
        "2024/06/01 ۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 2024-06-01",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 2024.6.1",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ ۲۰۲۴/۰۶/۰۱",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 1 June 2024",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 01 Jun 2024",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ June 1, 2024",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ ۱ ژوئن ۲۰۲۴",
        "1403/03/12 08:00 2024/06/01",
        "شنبه ۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ Saturday 1 June 2024",
    ],
)
def test_a_gregorian_date_beside_is_read_and_agrees(raw: str) -> None:
    parsed = parse_jalali(raw)
    assert parsed.iso == "2024-06-01T08:00:00+03:30"
    assert parsed.problems == ()


@pytest.mark.parametrize(
    "raw",
    [
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 2024/06/02",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 2024/05/31",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 12 June 2024",
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ ۱ مه ۲۰۲۴",
        "۱۲ خرداد ۱۴۰۲ - ۰۸:۰۰ 2024/06/01",  # another year
    ],
)
def test_a_gregorian_date_that_disagrees_is_a_contradiction(raw: str) -> None:
    with pytest.raises(DateContradiction) as caught:
        parse_jalali(raw)
    assert caught.value.kind == "gregorian_mismatch"
    assert caught.value.raw == raw


@pytest.mark.parametrize(
    "raw",
    [
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 01/06/2024",  # 1 June or 6 January?
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 13/06/2024",  # not year first: refused whatever the day
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 2024/06/01 2024/06/01",  # two Gregorian dates
        "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ 2024/02/30",  # no such Gregorian day
        "2024/06/01 - 08:00",  # a Gregorian date alone: no Jalali date
        "۱۲ خرداد ۲۰۲۴ - ۰۸:۰۰",  # a Jalali month with a Gregorian year
        "12/03/1403 08:00",  # a Jalali date with the year last
    ],
)
def test_ambiguous_or_lone_gregorian_dates_are_refused(raw: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_jalali(raw)
    assert not isinstance(caught.value, DateContradiction)
    assert caught.value.raw == raw


# Weekdays -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso_day"),
    [
        ("شنبه ۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-01"),
        ("یکشنبه ۱۳ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-02"),
        ("دوشنبه ۱۴ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-03"),
        ("سه\u200cشنبه ۱۵ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-04"),
        ("سه شنبه ۱۵ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-04"),
        ("چهارشنبه ۱۶ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-05"),
        ("پنج\u200cشنبه ۱۷ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-06"),
        ("پنجشنبه ۱۷ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-06"),
        ("جمعه ۱۸ خرداد ۱۴۰۳ - ۰۸:۰۰", "2024-06-07"),
        ("تاریخ انتشار: يکشنبه ۱۵ تیر ۱۳۹۹ - ۱۰:۳۰", "2020-07-05"),
    ],
)
def test_a_weekday_that_fits_the_date_is_no_problem(raw: str, iso_day: str) -> None:
    parsed = parse_jalali(raw)
    assert parsed.iso.startswith(iso_day)
    assert parsed.problems == ()


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("یکشنبه ۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰", "یکشنبه"),  # 12 Khordad 1403 is a Saturday
        ("سه شنبه ۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰", "سه\u200cشنبه"),
        ("جمعه ۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰", "جمعه"),
        ("۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰ Sunday 2024/06/01", "یکشنبه"),
    ],
)
def test_a_weekday_that_contradicts_the_date_is_reported_and_the_date_read(
    raw: str, printed: str
) -> None:
    parsed = parse_jalali(raw)
    assert parsed.iso == "2024-06-01T08:00:00+03:30"
    assert [kind for kind, _ in parsed.problems] == ["weekday_mismatch"]
    message = parsed.problems[0][1]
    assert printed in message and "شنبه" in message and repr(raw) in message


def test_before_compares_instants_with_the_printed_minute_of_slack() -> None:
    published = parse_iso("2024-06-01T08:00:00+03:30")
    assert before(parse_iso("2024-06-01T07:58:00+03:30"), published)
    assert not before(parse_iso("2024-06-01T07:59:30+03:30"), published)
    assert not before(parse_iso("2024-06-01T04:30:00+00:00"), published)
    # 23:30+03:30 on the night summer time ended is after 23:30+04:30 the same night.
    assert not before(
        parse_iso("2021-09-21T23:30:00+03:30"), parse_iso("2021-09-21T23:30:00+04:30")
    )
