"""Discovery page parsers and the backfill's sitemap plan, from saved text alone."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta

import pytest
from parsel import Selector
from scrapy import Request

from mizan_crawler.dates import TEHRAN
from mizan_crawler.fingerprints import NewsCodeFingerprinter, article_fingerprint
from mizan_crawler.pages.discovery import (
    SitemapBodyError,
    listing_pages,
    parse_feed,
    parse_listing,
    parse_sitemap,
    parse_w3c_datetime,
    sitemap_body,
)
from mizan_crawler.spiders.base import is_on_site
from mizan_crawler.spiders.sitemap_plan import (
    chain_stops,
    edited_since_fetched,
    plan_sitemap_fetches,
    urlset_month,
)
from mizan_crawler.store.observations import FetchBasis

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>میزان</title>
<item><title>یک</title><link>https://www.mizanonline.ir/fa/news/4776124/%D8%A8%D8%A7</link>
<pubDate>Sat, 01 Jun 2024 08:00:00 +0330</pubDate></item>
<item><title>دو</title><link>/fa/news/4776125?utm_source=rss</link><pubDate>nonsense</pubDate></item>
<item><title>بی‌پیوند</title></item></channel></rss>""".encode()

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://www.mizanonline.ir/fa-sitemap-newsarchive?y=1403&amp;m=3</loc><lastmod>2024-06-25T10:00:00+03:30</lastmod></sitemap>
<sitemap><loc>https://www.mizanonline.ir/fa-sitemap-newsarchive?y=1403&amp;m=4</loc></sitemap>
</sitemapindex>"""

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://www.mizanonline.ir/fa/news/1/a</loc>
<lastmod>2024-06-01</lastmod></url><url><loc>https://www.mizanonline.ir/fa/news/2</loc><lastmod>2024-06-02T08:00:00Z</lastmod></url>
<url><lastmod>2024-06-02</lastmod></url></urlset>"""

LISTING = """<html><body><div class="linear_news"><h3 class="Htags">
<a class="title5" href="/fa/news/4776124/x" title="08:00 - 1403/03/12">یک</a></h3></div>
<div class="linear_news"><h3 class="Htags"><a class="title5" href="/fa/news/4776123" title="">دو</a></h3></div>
<div id="pager">صفحه ۲ از ۱۷</div></body></html>"""


def test_parse_feed() -> None:
    entries = parse_feed(RSS, "https://www.mizanonline.ir/fa/rss/allnews")
    assert [e.news_code for e in entries] == [4776124, 4776125]
    assert entries[0].published == datetime(2024, 6, 1, 8, 0, tzinfo=TEHRAN)
    assert entries[1].published is None
    assert entries[1].url == "https://www.mizanonline.ir/fa/news/4776125?utm_source=rss"


def test_parse_sitemap_index_and_urlset() -> None:
    refs, entries = parse_sitemap(INDEX, "https://www.mizanonline.ir/fa-sitemap-newsarchive")
    assert entries == []
    assert refs[0].url.endswith("?y=1403&m=3")
    assert refs[0].lastmod == datetime(2024, 6, 25, 10, tzinfo=TEHRAN)
    assert refs[1].lastmod is None
    refs, entries = parse_sitemap(URLSET, "https://www.mizanonline.ir/x")
    assert refs == []
    assert [e.news_code for e in entries] == [1, 2]
    assert entries[0].lastmod == datetime(2024, 6, 1, tzinfo=TEHRAN)
    assert entries[1].lastmod == datetime(2024, 6, 2, 11, 30, tzinfo=TEHRAN)


NEWS_URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:n="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://www.mizanonline.ir/fa/news/5</loc><lastmod>2024-06-09T10:00:00+03:30</lastmod>
<n:news><n:publication><n:name>x</n:name></n:publication><n:publication_date>2024-06-01T08:00:00+03:30</n:publication_date></n:news></url>
<url><loc>https://www.mizanonline.ir/fa/news/6</loc><lastmod>2024-06-02</lastmod></url></urlset>"""


def test_urlset_entries_carry_their_news_publication_date() -> None:
    entries = parse_sitemap(NEWS_URLSET, "https://www.mizanonline.ir/x")[1]
    assert [e.news_code for e in entries] == [5, 6]
    assert entries[0].published == datetime(2024, 6, 1, 8, tzinfo=TEHRAN)
    assert entries[0].lastmod == datetime(2024, 6, 9, 10, tzinfo=TEHRAN)
    assert entries[1].published is None


def test_sitemap_body_inflates_gzip_by_its_magic_bytes() -> None:
    packed = sitemap_body(gzip.compress(URLSET))
    assert packed.gzipped and packed.xml == URLSET
    plain = sitemap_body(URLSET)  # a .xml.gz already inflated on the way (Content-Encoding)
    assert not plain.gzipped and plain.xml == URLSET
    assert [e.news_code for e in parse_sitemap(packed.xml, "https://h/x.xml.gz")[1]] == [1, 2]


@pytest.mark.parametrize(
    ("body", "max_size", "error"),
    [
        (gzip.compress(URLSET), len(URLSET) - 1, "once inflated"),
        (gzip.compress(URLSET)[:-6], 0, "cut-off gzip"),
        (b"\x1f\x8b\x07garbage garbage", 0, "corrupt gzip"),
    ],
)
def test_sitemap_body_refuses_what_it_cannot_read_whole(
    body: bytes, max_size: int, error: str
) -> None:
    with pytest.raises(SitemapBodyError, match=error):
        sitemap_body(body, max_size)
    assert sitemap_body(gzip.compress(URLSET), len(URLSET)).xml == URLSET


@pytest.mark.parametrize(
    "body", [b"", b"not xml", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"]
)
def test_broken_or_hostile_xml_gives_nothing(body: bytes) -> None:
    assert parse_sitemap(body, "https://h/") == ([], [])
    assert parse_feed(body, "https://h/") == []


def test_parse_listing_and_pager() -> None:
    sel = Selector(text=LISTING)
    entries = parse_listing(sel, "https://www.mizanonline.ir/fa/allnews?p=2")
    assert [e.news_code for e in entries] == [4776124, 4776123]
    assert entries[0].published == datetime(2024, 6, 1, 8, 0, tzinfo=TEHRAN)
    assert entries[1].published is None
    assert listing_pages(sel) == (2, 17)
    assert listing_pages(Selector(text="<html></html>")) is None


def test_w3c_datetimes() -> None:
    assert parse_w3c_datetime("2024-06-01T08:00:00+03:30") == datetime(2024, 6, 1, 8, tzinfo=TEHRAN)
    assert parse_w3c_datetime("garbage") is None
    assert parse_w3c_datetime(None) is None


def _entries(*rows: tuple[int, str | None]) -> dict[int, datetime | None]:
    return {code: datetime.fromisoformat(lastmod) if lastmod else None for code, lastmod in rows}


def test_plan_uses_lastmod_and_rising_codes() -> None:
    start = datetime(2024, 6, 1, tzinfo=TEHRAN)
    end = start + timedelta(days=30) - timedelta(seconds=1)
    entries = _entries(
        (10, "2024-05-20T10:00:00+03:30"),  # before the range
        (11, "2024-06-05T10:00:00+03:30"),  # published before, edited inside: fetched, not kept
        (9, "2024-06-10T10:00:00+03:30"),  # lower code than one surely before: a draft, maybe
        (12, "2024-06-02T10:00:00+03:30"),
        (13, "2024-06-20T10:00:00+03:30"),
        (14, "2024-07-15T10:00:00+03:30"),  # in range, edited after it, or after it: walk
        (15, "2024-07-02T10:00:00+03:30"),
        (16, None),
    )
    plan = plan_sitemap_fetches(entries, start, end)
    assert plan.fetch == (9, 11, 12, 13)
    assert plan.chain == (14, 15, 16)
    assert plan.excluded == 1


def test_plan_never_excludes_an_entry_modified_at_or_after_the_start() -> None:
    """A draft: its code (5) was given before that of an article published before the range (8),
    but it was published, and last modified, at the range's first second."""
    start = datetime(2024, 6, 1, tzinfo=TEHRAN)
    end = start + timedelta(days=10) - timedelta(seconds=1)
    entries = _entries(
        (4, "2024-05-31T23:00:00+03:30"),
        (5, "2024-06-01T00:00:00+03:30"),
        (8, "2024-05-31T23:59:59+03:30"),
        (9, None),
    )
    plan = plan_sitemap_fetches(entries, start, end)
    assert plan.fetch == (5,)
    assert plan.chain == (9,)
    assert plan.excluded == 2


def test_plan_with_publication_dates_fetches_exactly_the_range() -> None:
    start = datetime(2024, 6, 1, tzinfo=TEHRAN)
    end = start + timedelta(days=10) - timedelta(seconds=1)
    published = {
        3: datetime(2024, 5, 31, 23, 59, tzinfo=TEHRAN),
        2: start,  # a draft: a lower code, published later
        4: end,
        5: end + timedelta(seconds=1),
    }
    lastmods = _entries((3, "2024-06-05T10:00:00+03:30"), (6, "2024-06-02T10:00:00+03:30"))
    plan = plan_sitemap_fetches(lastmods, start, end, published)
    assert plan.fetch == (2, 4, 6)  # 6 has no date: its lastmod decides
    assert plan.chain == ()
    assert plan.excluded_by_date == 2
    assert plan.excluded == 0


@pytest.mark.parametrize(
    ("in_a_row", "lookahead", "stops"),
    [(0, 50, False), (49, 50, False), (50, 50, True), (1, 1, True), (1, 0, True)],
)
def test_the_chain_stops_after_lookahead_codes_in_a_row(
    in_a_row: int, lookahead: int, stops: bool
) -> None:
    assert chain_stops(in_a_row, lookahead) is stops


def test_urlset_month_jalali_and_gregorian() -> None:
    pattern = re.compile(r"[?&]y=(?P<year>\d{4})&m=(?P<month>\d{1,2})")
    first, last = urlset_month("https://h/fa-sitemap-newsarchive?y=1403&m=12", pattern)
    assert first == datetime(2025, 2, 19, tzinfo=TEHRAN)
    assert last == datetime(2025, 3, 20, 23, 59, 59, tzinfo=TEHRAN)
    first, last = urlset_month("https://h/x?y=2024&m=12", pattern)
    assert (first.month, last.year, last.month, last.day) == (12, 2024, 12, 31)
    assert urlset_month("https://h/fa-sitemap-news", pattern) is None


@pytest.mark.parametrize(
    ("url", "on_site"),
    [
        ("https://www.mizanonline.ir/fa/news/1", True),
        ("http://mizanonline.com/fa/news/1", True),
        ("http://127.0.0.1:8000/fa/news/1", True),
        ("https://evil.example/fa/news/1", False),
        ("https://mizanonline.ir.evil.example/fa/news/1", False),
        ("javascript:alert(1)", False),
    ],
)
def test_is_on_site(url: str, on_site: bool) -> None:
    assert is_on_site(url, ["127.0.0.1"]) is on_site


def test_every_url_form_of_an_article_has_one_fingerprint() -> None:
    fingerprinter = NewsCodeFingerprinter()
    forms = [
        "https://www.mizanonline.ir/fa/news/4776124",
        "https://www.mizanonline.ir/fa/news/4776124/%D8%A8%D8%A7%D9%82%D8%B1%DB%8C",
        "http://mizanonline.com/fa/news/4776124/other-slug?utm_source=telegram",
        "https://www.mizanonline.ir/fa/amp/news/4776124",
        "https://www.mizanonline.ir/fa/print/4776124",
    ]
    assert {fingerprinter.fingerprint(Request(url)) for url in forms} == {
        article_fingerprint(4776124)
    }
    assert fingerprinter.fingerprint(
        Request(forms[0].replace("4776124", "4776125"))
    ) != article_fingerprint(4776124)
    assert fingerprinter.fingerprint(
        Request("https://www.mizanonline.ir/fa/allnews?p=2")
    ) != fingerprinter.fingerprint(Request("https://www.mizanonline.ir/fa/allnews?p=3"))


def test_refresh_changed_fetches_what_moved_since_the_stored_version() -> None:
    def at(day: int) -> datetime:
        return datetime(2024, 6, day, 12, 0, tzinfo=TEHRAN)

    fetched_june_10 = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
    basis = {
        1: FetchBasis(at(3), fetched_june_10),  # listed lastmod 3 June when last fetched
        2: FetchBasis(at(3), fetched_june_10),
        3: FetchBasis(None, fetched_june_10),  # stored before any backfill read its entry
        4: FetchBasis(None, fetched_june_10),
        5: FetchBasis(at(3), fetched_june_10),
    }
    listed = {1: at(3), 2: at(5), 3: at(9), 4: at(11), 5: None, 6: at(20)}  # 6: not stored
    assert edited_since_fetched(listed, basis) == {2, 4}
