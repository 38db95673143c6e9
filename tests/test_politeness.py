"""Politeness: retries wait (exponential back-off, Retry-After), 429/503 pause the whole crawl, and
a site that keeps refusing stops the crawl with one clear message.

Each test serves its own small replica, so the replies it scripts and the requests it counts are
its own.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from mizan_crawler import __version__
from mizan_crawler.middlewares import PoliteRetryMiddleware, RefusalCounter, backoff_seconds
from mizan_crawler.politeness import raised_delay
from mizan_crawler.replica import Corpus, ReplicaServer, Reply, feeds
from mizan_crawler.replica.__main__ import build_parser
from mizan_crawler.replica.corpus import TEHRAN
from mizan_crawler.replica.render import error_page
from mizan_crawler.revalidation import (
    DiscoveryRevalidationPolicy,
    RevalidatingCacheMiddleware,
    is_revalidated,
)

from .crawling import run_crawl


@pytest.fixture
def site() -> Iterator[ReplicaServer]:
    """A small replica for this test alone."""
    with ReplicaServer(Corpus(40, seed=3)) as server:
        yield server


def _codes(site: ReplicaServer, count: int) -> list[int]:
    return [article.news_code for article in site.corpus if not article.withdrawn][:count]


# Requests one after another: with DOWNLOAD_DELAY=0 Scrapy 2.19 sends a slot's whole queue at
# once, whatever CONCURRENT_REQUESTS_PER_DOMAIN says, and there would be no "meanwhile" to test.
ONE_BY_ONE = {"DOWNLOAD_DELAY": "0.05", "DOWNLOAD_DELAY_JITTER": "0"}


def _article_fetches(site: ReplicaServer) -> list[tuple[str, int, float]]:
    return [(r.path, r.status, r.at) for r in site.requests if r.path.startswith("/fa/news/")]


def test_polite_defaults_for_the_live_site() -> None:
    settings = get_project_settings()
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("AUTOTHROTTLE_START_DELAY") == settings.getfloat("DOWNLOAD_DELAY")
    assert settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 1.0
    expected = f"mizan-crawler/{__version__} (+https://pypi.org/project/mizan-crawler/)"
    assert settings.get("USER_AGENT") == expected
    assert settings.getpriority("RETRY_HTTP_CODES") == SETTINGS_PRIORITIES["default"]
    assert {429, 500, 502, 503, 504, 408} <= set(map(int, settings.getlist("RETRY_HTTP_CODES")))
    assert settings.getint("MIZAN_MAX_REFUSALS") == 20


@pytest.mark.parametrize(
    ("asked", "retry_times", "seconds"),
    [
        (None, 0, 0.5),
        (None, 1, 1.0),
        (None, 3, 4.0),
        (None, 9, 60.0),
        (7.0, 3, 7.0),
        (900, 0, 60.0),
    ],
)
def test_backoff_seconds(asked: float | None, retry_times: int, seconds: float) -> None:
    assert backoff_seconds(asked, retry_times, base=0.5, cap=60.0) == seconds


def test_refusal_counter_counts_refusals_in_a_row() -> None:
    counter = RefusalCounter(3)
    assert [counter.observe(status) for status in (429, 403, 200, 503, 500, 429)] == [False] * 6
    assert counter.count == 2  # the 200 reset it; the 500 neither counts nor resets
    assert counter.observe(403) is True
    assert counter.observe(429) is False  # reported once
    for resetting in (301, 404):
        counter = RefusalCounter(2)
        counter.observe(429)
        counter.observe(resetting)
        assert counter.observe(429) is False


def test_refused_everything_means_no_answer_served_the_crawler() -> None:
    counter = RefusalCounter(20)
    assert not counter.refused_everything()  # nothing answered yet
    for status in (403, 500, 429):
        counter.observe(status)
    assert counter.refused_everything()
    counter.observe(404)  # the site served this one
    counter.observe(403)
    assert not counter.refused_everything()
    limited = RefusalCounter(1)
    limited.observe(429)
    assert not limited.refused_everything()  # already reported when the limit was reached


def test_zero_refusals_never_stops() -> None:
    counter = RefusalCounter(0)
    assert not any(counter.observe(429) for _ in range(100))


def test_after_the_refusal_stop_no_request_reaches_the_site() -> None:
    """The engine may hand on one more request between the stop and the start of the close; the
    middleware drops it rather than send it to a host that asked for quiet."""
    crawler = get_crawler(settings_dict={"RETRY_ENABLED": True})
    crawler.stats.open_spider()
    middleware = PoliteRetryMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1/fa/archive")
    assert middleware.process_request(request) is None  # sent as usual before the stop
    middleware.stopping.set()
    with pytest.raises(IgnoreRequest, match="not sent: the site refuses the crawler"):
        middleware.process_request(request)
    assert crawler.stats.get_value("mizan/refused/not_sent") == 1


def test_500_is_retried_after_an_exponential_delay(site: ReplicaServer, tmp_path: Path) -> None:
    code = _codes(site, 1)[0]
    path = f"/fa/news/{code}"
    site.script(path, Reply(500, b"busy"), Reply(500, b"busy"))
    result = run_crawl(
        "article", site.base_url, tmp_path, f"urls={code}", settings={"MIZAN_BACKOFF_BASE": "0.3"}
    )
    fetches = site.requests_for(path)
    assert [logged.status for logged in fetches] == [500, 500, 200]
    assert fetches[1].at - fetches[0].at >= 0.3
    assert fetches[2].at - fetches[1].at >= 0.6
    assert [item["news_code"] for item in result.items] == [code]
    assert result.stats["mizan/backoff/count"] == 2
    assert result.stats["mizan/backoff/seconds"] == pytest.approx(0.9)


def test_a_500_delays_only_its_own_request(site: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(site, 3)
    for code in codes:
        site.script(f"/fa/news/{code}", Reply(500, b"busy"))
    urls = "urls=" + ",".join(map(str, codes))
    settings = {**ONE_BY_ONE, "MIZAN_BACKOFF_BASE": "1.0"}
    result = run_crawl("article", site.base_url, tmp_path, urls, settings=settings)
    failures = [at for _, status, at in _article_fetches(site) if status == 500]
    assert len(failures) == 3
    assert max(failures) - min(failures) < 1.0  # nobody waited for another request's back-off
    assert sorted(item["news_code"] for item in result.items) == sorted(codes)


def test_retry_after_on_503_pauses_the_whole_crawl(site: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(site, 3)
    busy = Reply(503, error_page().encode(), headers={"Retry-After": "1"})
    for code in codes:
        site.script(f"/fa/news/{code}", busy)
    urls = "urls=" + ",".join(map(str, codes))
    result = run_crawl("article", site.base_url, tmp_path, urls, settings=ONE_BY_ONE)
    fetches = _article_fetches(site)
    assert sorted(status for _, status, _ in fetches) == [200] * 3 + [503] * 3
    for _, status, at in fetches:
        if status == 503:  # nothing else went out during the pause the site asked for
            assert not [later for _, _, later in fetches if at < later < at + 1.0]
    for code in codes:
        first, second = site.requests_for(f"/fa/news/{code}")
        assert (first.status, second.status) == (503, 200)
        assert second.at - first.at >= 1.0
    assert sorted(item["news_code"] for item in result.items) == sorted(codes)
    assert result.stats["mizan/backoff/count"] == 3
    assert "HTTP 503 on" in result.log and "pausing the crawl 1.0 s" in result.log


def test_network_errors_are_retried_with_backoff(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    started = time.monotonic()
    result = run_crawl(
        "article",
        dead,
        tmp_path,
        f"urls={dead}/fa/news/4700001",
        settings={"MIZAN_BACKOFF_BASE": "0.2", "RETRY_TIMES": "2", "ROBOTSTXT_OBEY": "False"},
    )
    assert time.monotonic() - started >= 0.6
    assert result.stats["mizan/backoff/count"] == 2
    assert result.stats["mizan/backoff/seconds"] == pytest.approx(0.6)
    assert result.stats["retry/count"] == 2
    assert result.stats["mizan/failed/DownloadConnectionRefusedError"] == 1
    assert "DownloadConnectionRefusedError on" in result.log and "retrying in 0.4 s" in result.log


def test_a_site_that_keeps_refusing_stops_the_crawl(site: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(site, 12)
    refused = Reply(429, error_page().encode(), headers={"Retry-After": "30"})
    for code in codes:
        site.script(f"/fa/news/{code}", *[refused] * 10)
    settings = {
        "MIZAN_MAX_REFUSALS": "5",
        "RETRY_TIMES": "1",
        "MIZAN_BACKOFF_BASE": "0.01",
        "MIZAN_BACKOFF_MAX": "0.05",
    }
    urls = "urls=" + ",".join(map(str, codes))
    result = run_crawl("article", site.base_url, tmp_path, urls, settings=settings, timeout=60)
    assert result.returncode != 0  # a crawl that stopped early says so in its exit status
    assert result.stats["finish_reason"] == "site_refusing"
    errors = [line for line in result.log.splitlines() if "keeps refusing" in line]
    assert len(errors) == 1
    assert "ERROR" in errors[0] and "5 refusals in a row, the last HTTP 429 on" in errors[0]
    assert "lower the rate" in errors[0]
    fetches = _article_fetches(site)
    assert 5 <= len(fetches) <= 5 + 8  # the refusals, then at most what the downloader held
    assert {status for _, status, _ in fetches} == {429}
    assert result.items == []


@pytest.mark.parametrize("status", [403, 429])
def test_a_site_refusing_everything_is_not_hammered(
    site: ReplicaServer, tmp_path: Path, status: int
) -> None:
    """The scheduled ``news`` crawl, with the production politeness at half its delay, against a
    site that refuses every request: spaced requests, a stop after the refusal limit, one line."""
    headers = {"Retry-After": "2"} if status == 429 else {}
    site.refuse_everything(Reply(status, error_page().encode(), headers=headers))
    delay, limit = 1.0, 6
    settings = {
        "DOWNLOAD_DELAY": str(delay),
        "AUTOTHROTTLE_ENABLED": "True",
        "AUTOTHROTTLE_START_DELAY": str(delay),
        "MIZAN_MAX_REFUSALS": str(limit),
    }
    result = run_crawl("news", site.base_url, tmp_path, settings=settings, timeout=120)
    assert result.returncode != 0
    assert result.stats["finish_reason"] == "site_refusing"
    errors = [line for line in result.log.splitlines() if "refusals in a row" in line]
    assert len(errors) == 1 and f"the last HTTP {status} on" in errors[0], result.log
    assert "ERROR" in errors[0] and "Stopping (site_refusing)" in errors[0]
    times = sorted(logged.at for logged in site.requests)
    assert {logged.status for logged in site.requests} == {status}
    # One request at a time, so none was on its way at the stop: the refusals and nothing after
    # (a 403 is not retried, so the crawl may run out of requests before the limit).
    assert len(times) <= limit, [logged.path for logged in site.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Scrapy randomises the delay between 0.5 and 1.5 times; a 429 pauses for its Retry-After.
    sent = [(logged.path, round(logged.at - times[0], 3)) for logged in site.requests]
    assert min(gaps) >= (2.0 if status == 429 else 0.5 * delay) - 0.05, (gaps, sent, result.log)
    per_minute = 60 * (len(times) - 1) / (times[-1] - times[0])
    assert per_minute <= 60 / (0.5 * delay)


# robots.txt's Crawl-delay ---------------------------------------------------------------------


def test_raised_delay_only_when_the_site_asks_for_more() -> None:
    assert raised_delay(None, 2.0) is None
    assert raised_delay(0.0, 0.0) is None
    assert raised_delay(1.0, 2.0) is None  # DOWNLOAD_DELAY is already slower
    assert raised_delay(1.0, 0.2) == 1.0


def test_replica_robots_txt_gains_a_crawl_delay_only_when_switched_on() -> None:
    assert "Crawl-delay" not in feeds.robots("http://x", archive_allowed=False)
    with ReplicaServer(Corpus(5), crawl_delay=1.5) as delayed:
        text = urlopen(f"{delayed.base_url}/robots.txt", timeout=10).read().decode()
    assert "User-agent: *\n" in text and "Crawl-delay: 1.5\n" in text
    assert build_parser().parse_args(["--crawl-delay", "1"]).crawl_delay == 1.0
    assert build_parser().parse_args([]).crawl_delay is None


def test_crawl_delay_raises_the_delay_and_autothrottle_stays_above_it(tmp_path: Path) -> None:
    """DOWNLOAD_DELAY 0.2 s with AutoThrottle (whose floor is DOWNLOAD_DELAY, and which lowers
    the delay toward the replica's fast answers) against robots.txt's ``Crawl-delay: 1``."""
    with ReplicaServer(Corpus(40, seed=3), crawl_delay=1.0) as site:
        codes = _codes(site, 4)
        settings = {
            "DOWNLOAD_DELAY": "0.2",
            "AUTOTHROTTLE_ENABLED": "True",
            "AUTOTHROTTLE_START_DELAY": "0.2",
        }
        urls = "urls=" + ",".join(map(str, codes))
        result = run_crawl("article", site.base_url, tmp_path, urls, settings=settings)
        logged = list(site.requests)
    assert result.returncode == 0, result.log
    assert sorted(item["news_code"] for item in result.items) == sorted(codes)
    assert logged[0].path == "/robots.txt" and len(logged) == 5
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(logged)]
    assert min(gaps) >= 0.95, gaps
    lines = [line for line in result.log.splitlines() if "asks Crawl-delay" in line]
    assert len(lines) == 1 and "INFO" in lines[0], result.log
    assert "requests to it go 1.0 s apart at least (DOWNLOAD_DELAY is 0.2 s)" in lines[0]
    assert result.stats["mizan/robots/crawl_delay"] == 1.0


def test_without_a_crawl_delay_download_delay_rules(site: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(site, 4)
    settings = {"DOWNLOAD_DELAY": "0.2", "DOWNLOAD_DELAY_JITTER": "0"}
    urls = "urls=" + ",".join(map(str, codes))
    result = run_crawl("article", site.base_url, tmp_path, urls, settings=settings)
    assert result.returncode == 0, result.log
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(site.requests)]
    assert max(gaps) < 0.9 and min(gaps) >= 0.19, gaps
    assert "mizan/robots/crawl_delay" not in result.stats


# Conditional requests for the discovery documents ---------------------------------------------

DISCOVERY = ("/fa/rss/allnews", "/fa-sitemap-news", "/fa/allnews?p=1")


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urlopen(UrlRequest(url, headers=headers), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:  # 304 comes as an HTTPError from urllib
        return error.code, dict(error.headers), error.read()


def test_replica_validators_are_off_by_default(site: ReplicaServer) -> None:
    status, headers, _ = _get(site.base_url + "/fa/rss/allnews")
    assert status == 200 and "ETag" not in headers and "Last-Modified" not in headers
    assert build_parser().parse_args([]).validators is False
    assert build_parser().parse_args(["--validators"]).validators is True


@pytest.mark.parametrize("path", [*DISCOVERY, "/fa/allnews?p=2"])
def test_replica_answers_304_to_a_current_copy(path: str) -> None:
    corpus = Corpus(80, seed=3)
    with ReplicaServer(corpus, now=corpus.published(70), validators=True) as site:
        url = site.base_url + path
        status, headers, body = _get(url)
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert status == 200 and body
        assert parsedate_to_datetime(modified) == site.now.replace(microsecond=0)
        assert _get(url, **{"If-None-Match": etag})[:1] == (304,)
        status, headers, body = _get(url, **{"If-Modified-Since": modified})
        assert (status, body, headers["ETag"]) == (304, b"", etag)
        assert "Content-Length" not in headers  # a 304 has no body to measure
        older = format_datetime((site.now - timedelta(hours=1)).astimezone(UTC), usegmt=True)
        assert _get(url, **{"If-Modified-Since": older})[0] == 200
        # If-None-Match decides when present, whatever If-Modified-Since says.
        stale = {"If-None-Match": '"other"', "If-Modified-Since": modified}
        assert _get(url, **stale)[0] == 200
        site.publish(1)
        status, headers, _ = _get(url, **{"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        assert [logged.status for logged in site.requests_for(path)] == [
            200,
            304,
            304,
            200,
            200,
            200,
        ]


def test_articles_and_robots_txt_carry_no_validators() -> None:
    with ReplicaServer(Corpus(10, seed=3), validators=True) as site:
        code = _codes(site, 1)[0]
        for path in (f"/fa/news/{code}", "/robots.txt", "/fa-sitemap-newsarchive"):
            status, headers, _ = _get(site.base_url + path)
            assert status == 200 and "ETag" not in headers, path


@pytest.mark.parametrize(
    ("url", "revalidated"),
    [
        ("https://www.mizanonline.ir/fa/rss/allnews", True),
        ("https://www.mizanonline.ir/fa-sitemap-news", True),
        ("https://www.mizanonline.ir/fa/allnews?p=1", True),
        ("https://www.mizanonline.ir/fa/allnews", True),
        ("https://www.mizanonline.ir/fa/allnews?p=2", False),
        ("https://www.mizanonline.ir/fa/news/4776124", False),
        ("https://www.mizanonline.ir/fa-sitemap-newsarchive", False),
    ],
)
def test_only_the_discovery_documents_are_revalidated(url: str, revalidated: bool) -> None:
    assert is_revalidated(url) is revalidated
    policy = DiscoveryRevalidationPolicy(get_project_settings())
    request = Request(url)
    assert policy.should_cache_request(request) is revalidated
    assert (request.headers.get("Cache-Control") == b"max-age=0") is revalidated


def test_a_stored_copy_never_stands_for_an_error() -> None:
    """Scrapy's RFC 2616 policy would hand the stored feed on for a 5xx, its middleware for a
    network error: the crawl would read an old feed as today's, and retries would never run."""
    settings = get_project_settings()
    policy = DiscoveryRevalidationPolicy(settings)
    url = "https://www.mizanonline.ir/fa/rss/allnews"
    request, stored = Request(url), HtmlResponse(url, status=200, body=b"<rss/>")
    for status, valid in ((304, True), (500, False), (503, False), (200, False)):
        assert (
            policy.is_cached_response_valid(stored, HtmlResponse(url, status=status), request)
            is valid
        )
    crawler = get_crawler(settings_dict={"HTTPCACHE_ENABLED": True})
    middleware = RevalidatingCacheMiddleware.from_crawler(crawler)
    request.meta["cached_response"] = stored
    assert middleware.process_exception(request, DownloadTimeoutError("slow")) is None
    assert "cached_response" not in request.meta


def test_unchanged_site_answers_304_and_nothing_is_lost(tmp_path: Path) -> None:
    """``news`` three times into one store: the second run over an unchanged site gets 304s for
    the feed, the news sitemap and the first listing page and fetches no article; after two new
    articles the third gets the new documents and exactly those two articles."""
    ten_days = dict(
        start=datetime(2024, 6, 1, tzinfo=TEHRAN), end=datetime(2024, 6, 11, tzinfo=TEHRAN)
    )
    corpus = Corpus(40, seed=3, **ten_days)
    with ReplicaServer(corpus, now=corpus.published(35), validators=True) as site:
        first = run_crawl("news", site.base_url, tmp_path)
        fetched = site.article_fetches()
        second = run_crawl("news", site.base_url, tmp_path)
        fetched_again = site.article_fetches() - fetched
        new = site.publish(2)
        assert len(new) == 2
        third = run_crawl("news", site.base_url, tmp_path)
        statuses = {path: [r.status for r in site.requests_for(path)] for path in DISCOVERY}
        fetched_third = site.article_fetches() - fetched
    for result in (first, second, third):
        assert result.returncode == 0, result.log
        assert result.stats["finish_reason"] == "finished"
    assert first.items and all(count == 1 for count in fetched.values())
    assert statuses == {path: [200, 304, 200] for path in DISCOVERY}
    assert second.items == [] and not fetched_again
    assert second.stats["httpcache/revalidate"] == 3
    assert second.stats["downloader/response_status_count/304"] == 3
    assert second.stats.get("mizan/discovery/listing_pages") == 1  # read from the stored page
    assert sorted(item["news_code"] for item in third.items) == sorted(a.news_code for a in new)
    assert set(fetched_third) == {a.news_code for a in new}
