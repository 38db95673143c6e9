"""The servers and the disk under a crawl fail: PostgreSQL restarted mid-crawl, Redis restarted
mid-way through a distributed crawl, the SQLite store's disk read-only or full. Nothing is lost,
the log says what happened in a line or two, and the crawl recovers by itself where it can."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from mizan_crawler.dates import TEHRAN, day_end, day_start
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.store import open_store

from .crawling import CrawlResult, start_crawl
from .servers import private_postgres, private_redis


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _codes(replica: ReplicaServer, count: int) -> list[int]:
    return [a.news_code for a in replica.corpus if not a.withdrawn and a.kind == "news"][:count]


def _pg_rows(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            return connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except psycopg.Error:  # not created yet, or the server is restarting
        return 0


def _no_traceback(result: CrawlResult) -> None:
    assert "Traceback" not in result.log, result.log


@pytest.mark.parametrize("down_seconds", [0, 3], ids=["restart", "down-3s"])
def test_postgres_restarted_mid_crawl_loses_nothing(
    replica: ReplicaServer, tmp_path: Path, down_seconds: float
) -> None:
    """A restart (``pg_ctl restart -m fast``) is over before the next write's retries are; a
    server down for seconds makes the crawl spool its articles and write them once it is back."""
    codes = _codes(replica, 120)
    with private_postgres() as server:
        crawl = start_crawl(
            "article",
            replica.base_url,
            tmp_path,
            "urls=" + ",".join(map(str, codes)),
            settings={"MIZAN_STORE_BATCH": "4", "DOWNLOAD_DELAY": "0.03"},
            env={"DATABASE_URL": server.url},
        )
        _wait_for(lambda: _pg_rows(server.url) >= 20, "20 stored articles")
        if down_seconds:
            server.stop("fast")
            time.sleep(down_seconds)
            server.start()
        else:
            server.restart()
        restarted_at = _pg_rows(server.url)
        result = crawl.wait()
        with open_store(server.url) as store:
            stored = store.known_codes()
    assert restarted_at < len(codes), "the crawl ended before the restart"
    assert stored == set(codes)
    assert result.returncode == 0, result.log
    assert result.stats["finish_reason"] == "finished"
    assert result.stats["mizan/store/reconnects"] > 0
    warnings = [line for line in result.log.splitlines() if "reconnecting" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0], result.log
    assert "terminating connection" in warnings[0] or "closed" in warnings[0], warnings[0]
    spooled = result.stats.get("mizan/store/spooled", 0)
    assert spooled == result.stats.get("mizan/store/replayed", 0)
    if down_seconds:
        assert spooled > 0
        assert "spooling items to" in result.log and "is back; spooled items written" in result.log
    _no_traceback(result)


@pytest.mark.parametrize("down_seconds", [0, 2], ids=["restart", "down-2s"])
def test_redis_restarted_mid_distributed_crawl_loses_nothing(
    tmp_path: Path, pg_url: str, down_seconds: float
) -> None:
    """Redis as docker-compose runs it (an append-only file), restarted (SIGTERM, then started
    again) while two workers share a backfill: both wait for it, go on, and finish the crawl."""
    corpus = Corpus(
        1200, seed=31, start=datetime(2024, 3, 1, tzinfo=TEHRAN),
        end=datetime(2024, 9, 1, tzinfo=TEHRAN),
    )  # fmt: skip
    arguments = ("from=2024-06-01", "to=2024-06-20")
    with ReplicaServer(corpus) as site, private_redis() as redis_server:
        expected = {
            row["news_code"]
            for row in site.truth_records(day_start(date(2024, 6, 1)), day_end(date(2024, 6, 20)))
        }
        workers = [
            start_crawl(
                "backfill",
                site.base_url,
                tmp_path / name,
                *arguments,
                settings={"DOWNLOAD_DELAY": "0.05", "MIZAN_REDIS_WORKER_TIMEOUT": "3"},
                env={"DATABASE_URL": pg_url, "MIZAN_REDIS_URL": redis_server.url},
            )
            for name in ("a", "b")
        ]
        _wait_for(lambda: _pg_rows(pg_url) >= 20, "20 stored articles")
        redis_server.stop()
        time.sleep(down_seconds)
        redis_server.start()
        restarted_at = _pg_rows(pg_url)
        results = [worker.wait(180) for worker in workers]
    assert restarted_at < len(expected), "the crawl ended before the restart"
    for result in results:
        assert result.returncode == 0, result.log
        assert result.stats["finish_reason"] == "finished"
        _no_traceback(result)
    with open_store(pg_url) as store:
        assert store.known_codes() == expected
    scraped = Counter(item["news_code"] for result in results for item in result.items)
    assert set(scraped) == expected
    log = "".join(result.log for result in results)
    waits = [line for line in log.splitlines() if "is not answering" in line]
    if not down_seconds and not waits:
        return  # the restart fell between two commands, or the client's reconnection covered it
    assert waits and all("WARNING" in line for line in waits), log
    assert f"Redis at {redis_server.url} is not answering" in waits[0]
    assert "answers again after" in log
