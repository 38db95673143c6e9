"""One crawl over many workers: backfills of the replica shared through the real Redis, into one
real PostgreSQL store; workers killed, paused and resumed; Redis unreachable or flushed."""

from __future__ import annotations

import asyncio
import bisect
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from scrapy import Request, Spider
from scrapy.settings import Settings

from mizan_crawler.cli import main as cli_main
from mizan_crawler.dates import TEHRAN, day_end, day_start
from mizan_crawler.distributed.addon import share_the_rate
from mizan_crawler.distributed.coordinator import Coordinator
from mizan_crawler.distributed.keys import CrawlKey, crawl_key, site_rate_key
from mizan_crawler.distributed.rate import SharedRateHandler, SharedRateUnavailable, SiteRate
from mizan_crawler.distributed.scheduler import is_shared
from mizan_crawler.fingerprints import NewsCodeFingerprinter
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.spiders.backfill import BackfillSpider
from mizan_crawler.store import open_store

from .conftest import RedisForTest
from .crawling import CrawlResult, RunningCrawl, pg_rows, run_crawl, start_crawl, wait_for
from .servers import TcpProxy

HALF_YEAR = dict(start=datetime(2024, 3, 1, tzinfo=TEHRAN), end=datetime(2024, 9, 1, tzinfo=TEHRAN))
FIRST, LAST = date(2024, 6, 1), date(2024, 6, 10)
RANGE = {"from": "2024-06-01", "to": "2024-06-10"}


@pytest.fixture(scope="module")
def site() -> Iterator[ReplicaServer]:
    """2,000 articles over six months of 2024: the ten days asked for hold about a hundred."""
    with ReplicaServer(Corpus(2000, seed=11, **HALF_YEAR)) as server:
        yield server


def _worker(
    site: ReplicaServer, workdir: Path, target: RedisForTest, database_url: str, **settings: str
) -> RunningCrawl:
    """``mizan-crawler crawl backfill -a from=... -a to=...``, a worker of the shared crawl."""
    return start_crawl(
        "backfill",
        site.base_url,
        workdir,
        *(f"{name}={value}" for name, value in RANGE.items()),
        settings={
            "DOWNLOAD_DELAY": "0.02",
            "MIZAN_REDIS_KEY_PREFIX": target.prefix,
            "MIZAN_REDIS_WORKER_TIMEOUT": "3",
            **settings,
        },
        env={"DATABASE_URL": database_url, "MIZAN_REDIS_URL": target.url},
    )


def _truth(site: ReplicaServer) -> set[int]:
    return {row["news_code"] for row in site.truth_records(day_start(FIRST), day_end(LAST))}


def _stored(database_url: str) -> set[int]:
    with open_store(database_url) as store:
        return store.known_codes()


def _finished(result: CrawlResult) -> None:
    assert result.returncode == 0, result.log
    assert result.stats["finish_reason"] == "finished"


def _status(target: RedisForTest, capsys: pytest.CaptureFixture[str]) -> str:
    cli_main(["status", "--redis-url", target.url, "--prefix", target.prefix])
    return capsys.readouterr().out


def _figure(report: str, label: str) -> int:
    line = next(line for line in report.splitlines() if line.strip().startswith(label))
    return int(line.split()[-1])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_workers_share_one_backfill_and_fetch_each_article_once(
    site: ReplicaServer,
    tmp_path: Path,
    pg_url: str,
    redis_crawl: RedisForTest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = site.article_fetches()
    workers = [_worker(site, tmp_path / name, redis_crawl, pg_url) for name in ("a", "b")]
    results = [worker.wait(180) for worker in workers]
    for result in results:
        _finished(result)
        assert result.stats.get("item_scraped_count", 0) > 0, "each worker fetches articles"
    assert sum(result.stats.get("mizan/distributed/discovered", 0) for result in results) == 1
    expected = _truth(site)
    assert _stored(pg_url) == expected
    scraped = Counter(item["news_code"] for result in results for item in result.items)
    assert set(scraped) == expected
    assert max(scraped.values()) == 1, "an article was scraped by both workers"
    fetched = site.article_fetches() - before
    assert expected <= set(fetched)
    assert max(fetched.values()) == 1, "an article page was fetched twice"
    report = _status(redis_crawl, capsys)
    assert "state              finished at" in report
    assert _figure(report, "items stored") == len(expected)
    assert _figure(report, "queued requests") == 0


def test_killed_worker_restarted_and_the_crawl_completes_exactly(
    site: ReplicaServer, tmp_path: Path, pg_url: str, redis_crawl: RedisForTest
) -> None:
    slow = {"DOWNLOAD_DELAY": "0.05", "MIZAN_STORE_BATCH": "5"}
    workers = {name: _worker(site, tmp_path / name, redis_crawl, pg_url, **slow) for name in "ab"}
    key = crawl_key(redis_crawl.prefix, "backfill", RANGE, site.base_url)
    wait_for(lambda: redis_crawl.client.get(key.discovery) is not None, "a discovering worker")
    holder_pid = int(redis_crawl.client.get(key.discovery).decode().split(":")[1])
    killed = next(name for name, crawl in workers.items() if crawl.process.pid == holder_pid)
    wait_for(lambda: pg_rows(pg_url) >= 25, "25 stored articles")
    before = site.article_fetches()
    os.kill(holder_pid, signal.SIGKILL)  # the discovering worker, mid-crawl
    workers[killed].wait()
    restarted = _worker(site, tmp_path / killed, redis_crawl, pg_url, **slow)
    survivor = next(crawl for name, crawl in workers.items() if name != killed)
    results = [survivor.wait(180), restarted.wait(180)]
    for result in results:
        _finished(result)
    assert _stored(pg_url) == _truth(site)
    assert sum(result.stats.get("mizan/distributed/discovered", 0) for result in results) == 1
    assert sum(result.stats.get("mizan/distributed/recovered", 0) for result in results) > 0
    again = [code for code, count in (site.article_fetches() - before).items() if count > 1]
    assert len(again) <= 8, "only the killed worker's requests in hand are fetched again"


def test_paused_crawl_shows_its_state_and_resumes(
    site: ReplicaServer,
    tmp_path: Path,
    pg_url: str,
    redis_crawl: RedisForTest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = _worker(site, tmp_path / "a", redis_crawl, pg_url, DOWNLOAD_DELAY="0.1")
    wait_for(lambda: pg_rows(pg_url) >= 20, "20 stored articles")
    os.kill(first.process.pid, signal.SIGINT)  # Ctrl-C: a clean stop
    paused = first.wait(60)
    assert paused.stats["finish_reason"] == "shutdown"
    assert "run the same command to resume" in paused.log
    report = _status(redis_crawl, capsys)
    assert "paused" in report and "workers            none" in report
    assert _figure(report, "queued requests") > 0
    assert _figure(report, "seen fingerprints") > 0
    stored_before = _stored(pg_url)
    assert _figure(report, "items stored") == len(stored_before)
    before = site.article_fetches()
    resumed = _worker(site, tmp_path / "b", redis_crawl, pg_url).wait(180)
    _finished(resumed)
    assert resumed.stats["mizan/distributed/run"] == "resumed"
    assert _stored(pg_url) == _truth(site)
    fetched_again = set(site.article_fetches() - before) & stored_before
    assert not fetched_again, "a stored article was fetched again after the pause"


def test_unreachable_redis_stops_at_once_with_one_clear_error(
    site: ReplicaServer, tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/15"
    started = time.monotonic()
    result = run_crawl(
        "backfill",
        site.base_url,
        tmp_path,
        *(f"{name}={value}" for name, value in RANGE.items()),
        env={"DATABASE_URL": pg_url, "MIZAN_REDIS_URL": url},
        timeout=60,
    )
    assert time.monotonic() - started < 30
    assert result.returncode != 0
    assert result.stats["finish_reason"] == "redis_unavailable"
    lines = [line for line in result.log.splitlines() if "is unreachable" in line]
    assert len(lines) == 1, result.log
    assert "ERROR" in lines[0] and f"Redis at {url} is unreachable" in lines[0]
    assert "not starting the crawl" in lines[0]
    assert result.items == []
    with pytest.raises(SystemExit) as exit_status:
        cli_main(["status", "--redis-url", url])
    assert exit_status.value.code != 0
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and f"Redis at {url} is unreachable" in error[0]


def test_redis_flushed_mid_crawl_stops_the_crawl(
    site: ReplicaServer, tmp_path: Path, pg_url: str, redis_crawl: RedisForTest
) -> None:
    crawl = _worker(site, tmp_path, redis_crawl, pg_url, DOWNLOAD_DELAY="0.1")
    wait_for(lambda: pg_rows(pg_url) >= 10, "10 stored articles")
    redis_crawl.client.flushdb()  # the test database only
    flushed = time.monotonic()
    result = crawl.wait(60)
    assert time.monotonic() - flushed < 20
    assert result.returncode != 0
    assert result.stats["finish_reason"] == "redis_state_lost"
    lines = [line for line in result.log.splitlines() if "gone from Redis" in line]
    assert len(lines) == 1 and "ERROR" in lines[0], result.log


def test_redis_lost_mid_crawl_stops_the_crawl_and_it_resumes_later(
    site: ReplicaServer, tmp_path: Path, pg_url: str, redis_crawl: RedisForTest
) -> None:
    proxy = TcpProxy(redis_crawl.url)
    crawl = start_crawl(
        "backfill",
        site.base_url,
        tmp_path / "a",
        *(f"{name}={value}" for name, value in RANGE.items()),
        settings={
            "DOWNLOAD_DELAY": "0.1",
            "MIZAN_REDIS_KEY_PREFIX": redis_crawl.prefix,
            "MIZAN_REDIS_WORKER_TIMEOUT": "3",
            "MIZAN_REDIS_OUTAGE_SECONDS": "3",
        },
        env={"DATABASE_URL": pg_url, "MIZAN_REDIS_URL": proxy.url},
    )
    wait_for(lambda: pg_rows(pg_url) >= 10, "10 stored articles")
    proxy.cut()
    cut = time.monotonic()
    result = crawl.wait(60)
    assert time.monotonic() - cut < 20
    assert result.stats["finish_reason"] == "redis_unavailable"
    lines = [line for line in result.log.splitlines() if "is unreachable" in line]
    assert len(lines) == 1 and "ERROR" in lines[0], result.log
    assert "stopping the crawl (redis_unavailable)" in lines[0]
    waited = [line for line in result.log.splitlines() if "is not answering" in line]
    assert len(waited) == 1 and "waiting up to 3 s for it" in waited[0], result.log
    assert "Traceback" not in result.log.split("[Spidermon]")[0]
    resumed = _worker(site, tmp_path / "b", redis_crawl, pg_url).wait(180)
    _finished(resumed)
    assert resumed.stats["mizan/distributed/run"] == "resumed"
    assert _stored(pg_url) == _truth(site)


def _heartbeats(target: RedisForTest, key: CrawlKey) -> int:
    """Workers of the crawl whose heartbeat key is alive in Redis."""
    return sum(1 for _ in target.client.scan_iter(match=key.worker("*")))


def test_worker_behind_a_silent_store_keeps_its_heartbeat(
    site: ReplicaServer, tmp_path: Path, pg_url: str, redis_crawl: RedisForTest
) -> None:
    """Its PostgreSQL stops answering (a stalled proxy) for longer than the worker timeout (3 s),
    and the store timeout (4 s) is longer too: the worker spools, its heartbeat never lapses (no
    one may take it for dead and queue its requests again), and once the store answers the
    crawl completes with every article."""
    proxy = TcpProxy(pg_url)
    crawl = _worker(
        site, tmp_path, redis_crawl, proxy.url,
        DOWNLOAD_DELAY="0.1", MIZAN_STORE_BATCH="4", MIZAN_STORE_TIMEOUT="4",
    )  # fmt: skip
    key = crawl_key(redis_crawl.prefix, "backfill", RANGE, site.base_url)
    wait_for(lambda: pg_rows(pg_url) >= 10, "10 stored articles")
    proxy.stall()
    alive = []
    stalled = time.monotonic()
    while time.monotonic() - stalled < 9:
        alive.append(_heartbeats(redis_crawl, key))
        time.sleep(0.2)
    stored_while_stalled = pg_rows(pg_url)
    proxy.resume()
    try:
        assert alive and set(alive) == {1}, f"heartbeats alive, every 0.2 s: {alive}"
        result = crawl.wait(180)
    finally:
        if crawl.process.poll() is None:
            crawl.process.kill()
        proxy.cut()
    assert stored_while_stalled < len(_truth(site)), "the crawl ended before the stall"
    _finished(result)
    assert result.stats["mizan/store/spooled"] > 0
    assert result.stats["mizan/store/spool_left"] == 0
    assert "mizan/distributed/recovered" not in result.stats
    assert _stored(pg_url) == _truth(site)


# The parts, against the real Redis ------------------------------------------------------------


def test_shared_queue_filters_url_forms_and_requeues_a_silent_workers_requests(
    redis_crawl: RedisForTest,
) -> None:
    key = crawl_key(redis_crawl.prefix, "article", {}, "http://127.0.0.1:8000")
    quick = Coordinator(redis_crawl.client, key, "quick", worker_timeout=0.3)
    steady = Coordinator(redis_crawl.client, key, "steady", worker_timeout=30)
    assert quick.join("article", "", "{}") == "new"
    assert steady.join("article", "", "{}") == "resumed"
    fingerprint = NewsCodeFingerprinter().fingerprint
    forms = [
        "http://127.0.0.1:8000/fa/news/4776124",
        "http://127.0.0.1:8000/fa/news/4776124/some-slug?utm_source=x",
        "http://127.0.0.1:8000/fa/amp/news/4776124",
    ]
    queued = [quick.push(fingerprint(Request(url)).hex(), 0, url.encode()) for url in forms]
    assert queued == [True, False, False]
    taken = quick.pop()
    assert taken is not None and taken.data == forms[0].encode()
    assert steady.pop() is None
    assert steady.take_discovery() == "mine" and quick.take_discovery() == "wait"
    assert steady.discovery_done() and quick.take_discovery() == "done"
    assert steady.completion() == "busy"  # the quick worker holds a request
    time.sleep(0.5)  # the quick worker falls silent: its heartbeat key expires
    assert steady.heartbeat("{}") == (1, ["quick"])
    again = steady.pop()
    assert again is not None and again.data == forms[0].encode()
    steady.settle([again.field], stored=1)
    assert steady.completion() == "done"
    assert steady.leave(requeue=False, finished=True, keep_seconds=60) == "finished"
    assert redis_crawl.client.hget(key.meta, "stored") == b"1"
    assert steady.join("article", "", "{}") == "new"  # the next run starts afresh


def test_idle_worker_queues_again_a_request_whose_reply_it_never_received(
    redis_crawl: RedisForTest,
) -> None:
    key = crawl_key(redis_crawl.prefix, "article", {}, "http://127.0.0.1:8000")
    worker = Coordinator(redis_crawl.client, key, "w", worker_timeout=30)
    assert worker.join("article", "", "{}") == "new"
    for code in (1, 2, 3):
        worker.push(str(code), 0, f"http://127.0.0.1:8000/fa/news/{code}".encode())
    handled, stored = worker.pop(), worker.pop()
    assert handled is not None and stored is not None
    worker.settle([stored.field], stored=1)
    worker.pop()  # taken in Redis, but its reply is lost on the way (an outage)
    assert worker.settle_all([handled.field]) == 1
    assert worker.queued() == 1
    again = worker.pop()
    assert again is not None and again.data == b"http://127.0.0.1:8000/fa/news/3"
    assert worker.settle_all([again.field]) == 0
    assert redis_crawl.client.exists(key.pending("w")) == 0


def test_discovery_requests_stay_with_their_worker() -> None:
    spider = BackfillSpider(**RANGE)
    shared = Request("http://x/fa/news/1", callback=spider.parse_ranged, errback=spider.on_error)
    chained = Request("http://x/fa/news/2", callback=spider.parse_chained)
    urlset = Request("http://x/fa-sitemap-newsarchive", callback=spider.parse_urlset)
    assert is_shared(shared, spider)
    assert not is_shared(chained, spider), "the chain's state lives in its spider"
    assert not is_shared(urlset, spider)
    assert not is_shared(Request("http://x/robots.txt"), spider)
    other = BackfillSpider(**RANGE)
    assert not is_shared(Request("http://x/fa/news/3", callback=other.parse_ranged), spider)
    assert not is_shared(Request("http://x/", callback=Spider.parse), spider)


# One request rate for the site, whatever the number of workers --------------------------------

# The replica logs a request when it arrives; a worker's asyncio loop may send a request a few
# milliseconds after the moment it was given (parsing a page meanwhile), which moves it toward
# the next one. Windows are this much shorter than a second, to measure the rate, not that.
SEND_SLACK = 0.05


def _busiest_window(times: list[float], length: float) -> int:
    """The most requests in any window ``[t, t + length)`` starting at a request."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, at + length) - i for i, at in enumerate(ordered))


def test_busiest_window_counts_a_sliding_window() -> None:
    assert _busiest_window([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1.0) == 5
    assert _busiest_window([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 3.0], 1.0) == 6


def test_two_workers_send_no_more_than_one_worker_would(
    tmp_path: Path, redis_crawl: RedisForTest
) -> None:
    """``news`` on two workers at DOWNLOAD_DELAY=0.2 (randomised 0.5-1.5x, as by default): at most
    5 requests in any second at the site, all workers together, and both workers fetched."""
    delay = 0.2
    two_days = dict(
        start=datetime(2024, 6, 1, tzinfo=TEHRAN), end=datetime(2024, 6, 2, tzinfo=TEHRAN)
    )
    settings = {
        "DOWNLOAD_DELAY": str(delay),
        "MIZAN_REDIS_KEY_PREFIX": redis_crawl.prefix,
        "MIZAN_REDIS_WORKER_TIMEOUT": "3",
    }
    with ReplicaServer(Corpus(16, seed=5, **two_days)) as small:
        workers = [
            start_crawl("news", small.base_url, tmp_path / name, settings=settings,
                        env={"MIZAN_REDIS_URL": redis_crawl.url})
            for name in "ab"
        ]  # fmt: skip
        results = [worker.wait(120) for worker in workers]
        times = [logged.at for logged in small.requests]
        truth = {row["news_code"] for row in small.truth_records()}
    for result in results:
        _finished(result)
        assert result.stats.get("item_scraped_count", 0) > 0, "each worker fetches articles"
    assert {item["news_code"] for result in results for item in result.items} == truth
    assert len(times) >= 15
    assert _busiest_window(times, 1.0 - SEND_SLACK) <= 1 / delay, sorted(times)
    span = max(times) - min(times)
    assert (len(times) - 1) / span <= 1 / delay * 1.02
    assert sum(result.stats.get("mizan/distributed/rate_waits", 0) for result in results) > 0


def test_the_shared_rate_spaces_moments_across_workers_and_sites(
    redis_crawl: RedisForTest,
) -> None:
    """Two workers' limiters on one site take moments 0.2 s apart; another site is not held."""

    async def take() -> list[float]:
        url = redis_crawl.url
        key = site_rate_key(redis_crawl.prefix, "http://127.0.0.1:8000")
        other = site_rate_key(redis_crawl.prefix, "http://127.0.0.1:9000/")
        first, second = (SiteRate(aioredis.Redis.from_url(url), key, 1.0, "Redis") for _ in "ab")
        elsewhere = SiteRate(aioredis.Redis.from_url(url), other, 1.0, "Redis")
        waits = [await rate.reserve(0.2) for rate in (first, second, first, elsewhere)]
        for rate in (first, second, elsewhere):
            await rate.close()
        return waits

    waits = asyncio.run(take())
    assert waits[0] == pytest.approx(0.0, abs=0.02)
    assert waits[1] == pytest.approx(0.2, abs=0.02)
    assert waits[2] == pytest.approx(0.4, abs=0.02)
    assert waits[3] == pytest.approx(0.0, abs=0.02)
    assert site_rate_key("p", "http://Site/") == site_rate_key("p", "http://site")


def test_a_silent_redis_is_waited_for_then_the_request_is_not_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first request waits about its patience; those queued behind it fail at once (the
    worker, whose heartbeat waited as long, is stopping), not one patience each."""

    async def take(rate: SiteRate) -> float:
        started = time.monotonic()
        with pytest.raises(SharedRateUnavailable, match="not sent: Redis at test gave no moment"):
            await rate.reserve(0.2)
        return time.monotonic() - started

    async def both() -> list[float]:
        client = aioredis.Redis.from_url(f"redis://127.0.0.1:{_closed_port()}/15")
        rate = SiteRate(client, "k", patience=0.3, where="Redis at test")
        try:
            return [await take(rate), await take(rate)]
        finally:
            await rate.close()

    first, second = asyncio.run(both())
    assert 0.1 <= first < 1.0  # tried again for about its patience
    assert second < 0.1
    waited = [r.message for r in caplog.records if "shared request rate waits" in r.message]
    assert len(waited) == 1 and "up to 0.3 s" in waited[0]


def test_the_addon_wraps_the_configured_download_handlers() -> None:
    settings = Settings({"DOWNLOAD_HANDLERS": {"https": "my.Handler"}})
    share_the_rate(settings)
    scrapy_http = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
    assert settings.getdict("MIZAN_SHARED_RATE_HANDLERS") == {
        "http": scrapy_http,
        "https": "my.Handler",
    }
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert handlers["http"] is SharedRateHandler and handlers["https"] is SharedRateHandler
    assert handlers["ftp"] != SharedRateHandler  # only what goes to the site over HTTP
