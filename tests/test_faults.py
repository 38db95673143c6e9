"""Backfills against a replica that fails often. At 2,000 articles: every good article ends in
the store exactly once, broken pages are reported by news code and reason, retries are counted,
and the exit status says something was lost. Killed (SIGKILL) at three random moments and
restarted each time: the store ends equal to an uninterrupted run's."""

from __future__ import annotations

import os
import random
import re
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from mizan_crawler.dates import TEHRAN
from mizan_crawler.monitoring.status import MONITOR_FAILED
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.replica.faults import FaultPlan
from mizan_crawler.store import open_store

from .crawling import CrawlResult, run_crawl, sqlite_rows, start_crawl, stored_hashes

PLAN = FaultPlan(errors=0.10, too_many=0.05, truncated=0.02, slow=0.02, broken=0.01, slow_seconds=4)
CORPUS = Corpus(
    2000,
    seed=21,
    start=datetime(2024, 1, 1, tzinfo=TEHRAN),
    end=datetime(2024, 3, 1, tzinfo=TEHRAN),
)


FAULTY_SITE = {
    "RETRY_TIMES": "6",
    "DOWNLOAD_TIMEOUT": "3",
    "MIZAN_BACKOFF_BASE": "0.05",
    "MIZAN_BACKOFF_MAX": "0.2",  # honour Retry-After, but briefly: many pauses
    "MIZAN_MAX_REFUSALS": "0",
    "SPIDERMON_MAX_ERRORS": "100000",
    "SPIDERMON_UNWANTED_HTTP_CODES": "{}",
}


def _lost_to_broken_pages(corpus: Corpus, plan: FaultPlan, truth: set[int]) -> set[int]:
    """Broken pages lose their article when nothing else gives what broke: a news body. A broken
    date alone loses nothing: the article is stored undated (``published_at`` null)."""
    return {
        code
        for code in truth
        if plan.is_broken(corpus.seed, code) and corpus.by_code(code).kind == "news"
    }


def _undated_by_broken_pages(corpus: Corpus, plan: FaultPlan, truth: set[int]) -> set[int]:
    """Broken photo and video pages without the article:published_time meta tag: kept, undated."""
    return {
        code
        for code in truth - _lost_to_broken_pages(corpus, plan, truth)
        if plan.is_broken(corpus.seed, code) and not corpus.by_code(code).with_meta_date
    }


@pytest.mark.timeout(600)
def test_faulty_site_backfill_loses_no_good_article(tmp_path: Path) -> None:
    with ReplicaServer(CORPUS, faults=PLAN) as replica:
        truth = {row["news_code"] for row in replica.truth_records()}
        broken = {code for code in truth if PLAN.is_broken(CORPUS.seed, code)}
        result = run_crawl(
            "backfill",
            replica.base_url,
            tmp_path,
            "from=2024-01-01",
            "to=2024-02-29",
            settings={"CONCURRENT_REQUESTS": "16", **FAULTY_SITE},
            timeout=600,
        )
        fetches = replica.article_fetches()
    assert broken, "the plan must break some pages"
    with open_store(f"sqlite:///{tmp_path / 'data' / 'mizan.sqlite'}") as store:
        stored = store.known_codes()
        assert store.count_revisions() == 0
        undated = {row["news_code"] for row in store.iter_articles() if not row["published_at"]}
    lost = _lost_to_broken_pages(CORPUS, PLAN, truth)
    assert stored == truth - lost
    assert undated == _undated_by_broken_pages(CORPUS, PLAN, truth)
    for code in lost:  # reported by news code (in the URL) and reason
        assert re.search(rf"/fa/news/{code}(/[^\s:]*)?: missing_", result.log), code
    assert result.stats.get("retry/max_reached", 0) == 0
    assert result.stats["retry/count"] > 0.1 * len(truth)
    assert result.stats["mizan/backoff/count"] > 0
    assert (
        result.returncode == MONITOR_FAILED
    )  # the broken pages are a loss, and the status says so
    assert "Monitor failed: Field coverage" in result.log
    assert (
        max(count for code, count in fetches.items() if code in stored)
        <= PLAN.transient_attempts + 1
    )


# Killed and restarted ---------------------------------------------------------------------------

KILL_CORPUS = Corpus(
    800,
    seed=23,
    start=datetime(2024, 1, 1, tzinfo=TEHRAN),
    end=datetime(2024, 3, 1, tzinfo=TEHRAN),
)
KILL_ARGS = ("from=2024-01-01", "to=2024-02-29")


def _finished(result: CrawlResult) -> None:
    assert result.stats.get("finish_reason") == "finished", result.log[-3000:]
    assert result.returncode in (0, MONITOR_FAILED), result.log[-3000:]


def _kill_moments(count: int, articles: int) -> tuple[int, list[tuple[int, float]]]:
    """``count`` random moments, each a number of stored rows to wait for and a further delay
    (so that kills fall between and inside the store's transactions); the seed is returned so
    that a failure can be replayed with ``MIZAN_TEST_KILL_SEED``."""
    seed = int(os.environ.get("MIZAN_TEST_KILL_SEED") or time.time_ns() % 1_000_000)
    chooser = random.Random(seed)
    rows = sorted(chooser.sample(range(articles // 20, articles * 9 // 10), count))
    return seed, [(row, chooser.uniform(0, 0.3)) for row in rows]


@pytest.mark.timeout(600)
def test_backfill_killed_at_three_random_moments_ends_equal_to_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    settings = {"CONCURRENT_REQUESTS": "8", "MIZAN_STORE_BATCH": "7", **FAULTY_SITE}
    with ReplicaServer(KILL_CORPUS, faults=PLAN) as replica:
        whole = run_crawl(
            "backfill", replica.base_url, tmp_path / "whole", *KILL_ARGS,
            settings=settings, timeout=300,
        )  # fmt: skip
        truth = {row["news_code"] for row in replica.truth_records()}
    _finished(whole)
    expected = stored_hashes(tmp_path / "whole")
    assert set(expected) == truth - _lost_to_broken_pages(KILL_CORPUS, PLAN, truth)

    killed = tmp_path / "killed"
    seed, moments = _kill_moments(3, len(expected))
    replay = f"kill seed {seed}, moments {moments}"
    with ReplicaServer(KILL_CORPUS, faults=PLAN) as replica:  # its fault counts start afresh
        for rows, delay in moments:
            crawl = start_crawl("backfill", replica.base_url, killed, *KILL_ARGS, settings=settings)
            deadline = time.monotonic() + 240
            while (
                sqlite_rows(killed / "data" / "mizan.sqlite") < rows
                and crawl.process.poll() is None
            ):
                assert time.monotonic() < deadline, replay
                time.sleep(0.02)
            time.sleep(delay)
            assert crawl.process.poll() is None, f"the crawl ended before its kill ({replay})"
            os.kill(crawl.process.pid, signal.SIGKILL)
            crawl.wait()
        resumed = run_crawl(
            "backfill", replica.base_url, killed, *KILL_ARGS, settings=settings, timeout=300
        )
    _finished(resumed)
    after = stored_hashes(killed)
    assert len(after) == len(expected), replay
    assert after == expected, replay
