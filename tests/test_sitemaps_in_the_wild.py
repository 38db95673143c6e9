"""Backfills by sitemap as real sites serve them, against the replica over HTTP: drafts whose codes
are out of publication order, a month listed twice, gzip urlsets without ``Content-Encoding``,
``<news:publication_date>``, urlsets whose URL names no month, and sources that fail.

Each replica irregularity is a switch, tested here first (off by default, then on). Corpora are
small (300 articles over 15 days, two Jalali months), so each crawl takes a few seconds.
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from mizan_crawler.dates import TEHRAN, day_end, day_start
from mizan_crawler.monitoring.status import MONITOR_FAILED
from mizan_crawler.replica import Corpus, ReplicaServer, Reply
from mizan_crawler.replica.__main__ import build_parser
from mizan_crawler.replica.sitemap_quirks import SitemapQuirks

from .crawling import CrawlResult, run_crawl

WINDOW = dict(start=datetime(2024, 6, 10, tzinfo=TEHRAN), end=datetime(2024, 6, 25, tzinfo=TEHRAN))
FIRST, LAST = date(2024, 6, 12), date(2024, 6, 21)  # ten days, across Khordad and Tir 1403
RANGE = (f"from={FIRST}", f"to={LAST}")
SEED = 99  # with 8% drafts: a draft of the range below a code published before it, and a
# draft still unpublished at the range's end just below an article of the range edited after it
INDEX = "/fa-sitemap-newsarchive"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# Failing requests are retried three times: briefly here.
QUICK_RETRIES = {"MIZAN_BACKOFF_BASE": "0.01", "MIZAN_BACKOFF_MAX": "0.05"}


def _replica(draft_share: float = 0.08, **quirks: bool) -> ReplicaServer:
    corpus = Corpus(300, seed=SEED, draft_share=draft_share, **WINDOW)
    return ReplicaServer(corpus, sitemap_quirks=SitemapQuirks(**quirks))


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), b""


def _index_locs(replica: ReplicaServer) -> list[str]:
    body = _get(replica.base_url + INDEX)[2]
    return [loc.text or "" for loc in ET.fromstring(body).iter(f"{SITEMAP}loc")]


def _truth(replica: ReplicaServer) -> set[int]:
    rows = replica.truth_records(since=day_start(FIRST), until=day_end(LAST))
    return {row["news_code"] for row in rows}


def _backfill(
    replica: ReplicaServer, workdir: Path, settings: dict[str, str] | None = None
) -> tuple[CrawlResult, Counter[int]]:
    before = replica.article_fetches()
    result = run_crawl("backfill", replica.base_url, workdir, *RANGE, settings=settings)
    return result, replica.article_fetches() - before


def _assert_exact(result: CrawlResult, fetched: Counter[int], expected: set[int]) -> None:
    """The replica's ground truth, each article once, each page fetched once, exit status 0."""
    assert result.returncode == 0, result.log
    assert result.stats["finish_reason"] == "finished"
    codes = [item["news_code"] for item in result.items]
    assert len(codes) == len(expected) and set(codes) == expected
    assert expected <= set(fetched)
    assert max(fetched.values()) == 1, "an article page was fetched twice"


# The replica's switches -------------------------------------------------------------------------


def test_drafts_take_codes_before_articles_published_earlier() -> None:
    plain = Corpus(300, seed=SEED, **WINDOW)
    drafts = Corpus(300, seed=SEED, draft_share=0.08, **WINDOW)
    articles = list(drafts)
    assert [a.published for a in articles] == [a.published for a in plain]
    assert all(a.published < b.published for a, b in pairwise(articles))
    codes = [a.news_code for a in articles]
    assert len(set(codes)) == len(codes)
    assert sorted(codes) == sorted(a.news_code for a in plain)  # the same codes, other owners
    assert all(drafts.index_of(a.news_code) == a.index for a in articles)
    assert all(
        drafts.by_code(code) is None for code in range(codes[0], codes[-1]) if code not in codes
    )
    assert 0.04 < sum(map(drafts.is_draft, range(300))) / 300 < 0.12
    late = [b for a, b in pairwise(articles) if a.news_code > b.news_code]
    assert late and all(drafts.is_draft(b.index) for b in late)
    assert all(drafts.published(i) - drafts.created(i) <= timedelta(hours=12) for i in range(300))
    assert not any(map(plain.is_draft, range(300)))
    assert all(a.news_code < b.news_code for a, b in pairwise(plain))


def test_sitemap_quirks_are_off_by_default() -> None:
    with _replica(draft_share=0) as replica:
        locs = _index_locs(replica)
        assert len(set(locs)) == len(locs) == 2
        assert all(re.fullmatch(r".*/fa-sitemap-newsarchive\?y=1403&m=[34]", loc) for loc in locs)
        status, headers, body = _get(locs[0])
        assert status == 200 and headers["Content-Type"].startswith("application/xml")
        assert b"publication_date" not in body
        assert _get(replica.base_url + "/fa-sitemap-newsarchive.xml.gz?y=1403&m=3")[0] == 404


def test_duplicate_reference_lists_the_newest_month_twice() -> None:
    with _replica(duplicate_reference=True) as replica:
        locs = _index_locs(replica)
        assert len(locs) == 3 and locs[-1] == locs[-2] and len(set(locs)) == 2


def test_gzip_urlsets_come_without_content_encoding() -> None:
    with _replica(gzip=True) as replica:
        locs = _index_locs(replica)
        assert all("/fa-sitemap-newsarchive.xml.gz?y=1403&m=" in loc for loc in locs)
        status, headers, body = _get(locs[0])
        assert status == 200 and headers["Content-Type"] == "application/x-gzip"
        assert "Content-Encoding" not in headers and body[:2] == b"\x1f\x8b"
        plain = _get(locs[0].replace(".xml.gz", ""))[2]
        assert gzip.decompress(body) == plain and plain.count(b"<url>") > 50


def test_publication_dates_in_urlsets() -> None:
    with _replica(publication_dates=True) as replica:
        for loc in _index_locs(replica):
            for url in ET.fromstring(_get(loc)[2]).iter(f"{SITEMAP}url"):
                article = replica.corpus.by_code(int(url.findtext(f"{SITEMAP}loc").split("/")[5]))
                published = url.findtext(f"{NEWS}news/{NEWS}publication_date")
                assert datetime.fromisoformat(published) == article.published


def test_failing_index_answers_500_every_time() -> None:
    with _replica(failing_index=True) as replica:
        assert [_get(replica.base_url + INDEX)[0] for _ in range(3)] == [500, 500, 500]
        assert _get(replica.base_url + INDEX + "?y=1403&m=3")[0] == 200


def test_replica_command_line_switches() -> None:
    args = build_parser().parse_args(
        ["--draft-share", "0.08", "--sitemap-quirks", "gzip,failing-index"]
    )
    assert args.draft_share == 0.08
    assert args.sitemap_quirks == SitemapQuirks(gzip=True, failing_index=True)
    assert build_parser().parse_args([]).sitemap_quirks == SitemapQuirks()
    with pytest.raises(ValueError, match="unknown sitemap quirks"):
        SitemapQuirks.parse("gzip,zip")


# Backfills that stay exact ------------------------------------------------------------------------


def test_backfill_over_drafts_is_exact(tmp_path: Path) -> None:
    with _replica() as replica:
        expected = _truth(replica)
        rows = list(replica.truth_records())
        floor = max(
            row["news_code"]
            for row in rows
            if datetime.fromisoformat(row["lastmod"]) < day_start(FIRST)
        )
        assert [code for code in expected if code < floor], "a draft of the range below the floor"
        result, fetched = _backfill(replica, tmp_path / "default")
        _assert_exact(result, fetched, expected)
        found = result.stats["mizan/discovery/lookahead_found"]
        assert found >= 1 and result.stats["mizan/discovery/lookahead_fetches"] >= found
        # The strict walk (codes rising with publication) stops one code too early and misses it.
        strict, _ = _backfill(replica, tmp_path / "strict", {"MIZAN_BACKFILL_LOOKAHEAD": "1"})
        assert strict.returncode == 0, strict.log
        missed = expected - {item["news_code"] for item in strict.items}
        assert len(missed) == found
        assert "mizan/discovery/lookahead_fetches" not in strict.stats


def test_backfill_with_a_duplicated_urlset_reference_is_exact(tmp_path: Path) -> None:
    with _replica(duplicate_reference=True) as replica:
        result, fetched = _backfill(replica, tmp_path)
        _assert_exact(result, fetched, _truth(replica))
        assert result.stats["mizan/discovery/urlset_duplicates"] == 1
        assert result.stats["mizan/discovery/source/sitemap_index/found"] == 2
        newest = _index_locs(replica)[-1].removeprefix(replica.base_url)
        assert len(replica.requests_for(newest)) == 1


def test_backfill_with_gzip_urlsets_is_exact(tmp_path: Path) -> None:
    with _replica(gzip=True) as replica:
        result, fetched = _backfill(replica, tmp_path)
        _assert_exact(result, fetched, _truth(replica))
        assert result.stats["mizan/discovery/gzip_sitemaps"] == 2
        assert result.stats["mizan/discovery/source/urlsets/found"] > 250


def test_gzip_urlset_over_the_size_bound_fails_loudly(tmp_path: Path) -> None:
    with _replica(gzip=True) as replica:
        # Big enough for every download, too small for a urlset once inflated.
        gz = _get(_index_locs(replica)[0])[2]
        bound = str(max(len(gz) * 2, 40_000))
        assert len(gzip.decompress(gz)) > int(bound)
        result, _ = _backfill(replica, tmp_path, {"DOWNLOAD_MAXSIZE": bound, **QUICK_RETRIES})
        assert result.returncode == MONITOR_FAILED, result.log
        assert result.stats["finish_reason"] == "discovery_failed"
        assert "once inflated" in result.stats["mizan/discovery/source/urlsets/failed"]
        assert re.search(
            r"ERROR: Discovery source urlsets failed at \S+xml\.gz\S+: over", result.log
        )


def test_backfill_with_publication_dates_fetches_exactly_the_range(tmp_path: Path) -> None:
    with _replica(publication_dates=True) as replica:
        expected = _truth(replica)
        result, fetched = _backfill(replica, tmp_path)
        _assert_exact(result, fetched, expected)
        assert set(fetched) == expected, "with publication dates, nothing outside is fetched"
        assert result.stats["mizan/discovery/entries_with_publication_date"] > 250
        assert "mizan/discovery/outside_range" not in result.stats


def test_urlsets_whose_url_names_no_month_are_read_in_full(tmp_path: Path) -> None:
    with _replica() as replica:
        settings = {"MIZAN_SITEMAP_MONTH_PATTERN": r"/(?P<year>\d{4})-(?P<month>\d\d)\.xml$"}
        result, fetched = _backfill(replica, tmp_path, settings)
        _assert_exact(result, fetched, _truth(replica))
        assert result.stats["mizan/discovery/urlsets_without_month"] == 2
        assert result.stats["mizan/discovery/urlsets"] == 2


# Sources that fail: never green ----------------------------------------------------------------


def _assert_discovery_failed(result: CrawlResult, source: str, url: str, error: str) -> None:
    # The finish-reason monitor fails on any reason but "finished": the crawl command exits 3.
    assert result.returncode == MONITOR_FAILED, result.log
    assert result.stats["finish_reason"] == "discovery_failed"
    assert error in result.stats[f"mizan/discovery/source/{source}/failed"]
    assert f"ERROR: Discovery source {source} failed at {url}: {error}" in result.log


def test_failing_sitemap_index_ends_the_backfill_non_zero(tmp_path: Path) -> None:
    with _replica(failing_index=True) as replica:
        result, fetched = _backfill(replica, tmp_path, QUICK_RETRIES)
        _assert_discovery_failed(result, "sitemap_index", replica.base_url + INDEX, "HTTP 500")
        assert result.items == [] and not fetched
        assert len(replica.requests_for(INDEX)) == 4  # the first try and three retries


def test_index_listing_nothing_ends_the_backfill_non_zero(tmp_path: Path) -> None:
    with _replica() as replica:
        empty = b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>'
        replica.script(INDEX, Reply(200, empty, "application/xml"))
        result, _ = _backfill(replica, tmp_path)
        _assert_discovery_failed(
            result, "sitemap_index", replica.base_url + INDEX, "it lists no urlset"
        )
        assert result.stats["mizan/discovery/source/sitemap_index/found"] == 0


def test_every_urlset_failing_ends_the_backfill_non_zero(tmp_path: Path) -> None:
    with _replica() as replica:
        locs = _index_locs(replica)
        for loc in locs:
            replica.script(loc.removeprefix(replica.base_url), *[Reply(503, b"busy")] * 4)
        result, fetched = _backfill(replica, tmp_path, QUICK_RETRIES)
        for loc in locs:
            _assert_discovery_failed(result, "urlsets", loc, "HTTP 503")
        assert result.items == [] and not fetched


def test_one_urlset_failing_fetches_the_rest_and_ends_non_zero(tmp_path: Path) -> None:
    with _replica() as replica:
        tir = _index_locs(replica)[1]
        replica.script(tir.removeprefix(replica.base_url), *[Reply(500, b"oops")] * 4)
        result, _ = _backfill(replica, tmp_path, QUICK_RETRIES)
        _assert_discovery_failed(result, "urlsets", tir, "HTTP 500")
        until_tir = replica.truth_records(
            since=day_start(FIRST), until=datetime(2024, 6, 20, 23, 59, tzinfo=TEHRAN)
        )
        assert {row["news_code"] for row in until_tir} <= {
            item["news_code"] for item in result.items
        }


def test_a_urlset_request_that_vanishes_is_named_and_the_rest_planned(tmp_path: Path) -> None:
    """An index listing itself: that request is the index's duplicate, filtered by the scheduler
    without callback or errback; when the crawl falls idle it is named and the plan goes on."""
    with _replica() as replica:
        body = _get(replica.base_url + INDEX)[2]
        itself = f"<sitemap><loc>{replica.base_url}{INDEX}</loc></sitemap></sitemapindex>"
        replica.script(
            INDEX, Reply(200, body.replace(b"</sitemapindex>", itself.encode()), "application/xml")
        )
        result, fetched = _backfill(replica, tmp_path)
        _assert_discovery_failed(
            result, "urlsets", replica.base_url + INDEX, "the request vanished"
        )
        expected = _truth(replica)
        assert {item["news_code"] for item in result.items} == expected
        assert max(fetched.values()) == 1
