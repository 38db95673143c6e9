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
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from mizan_crawler import __version__
from mizan_crawler.middlewares import PoliteRetryMiddleware, RefusalCounter, backoff_seconds
from mizan_crawler.replica import Corpus, ReplicaServer, Reply
from mizan_crawler.replica.render import error_page

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
