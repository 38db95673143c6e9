"""A backfill of 2,000 articles against a replica that fails often: every good article ends in
the store exactly once, broken pages are reported by news code and reason, retries are counted,
and the exit status says something was lost."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from mizan_crawler.dates import TEHRAN
from mizan_crawler.monitoring.status import MONITOR_FAILED
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.replica.faults import FaultPlan
from mizan_crawler.store import open_store

from .crawling import run_crawl

PLAN = FaultPlan(errors=0.10, too_many=0.05, truncated=0.02, slow=0.02, broken=0.01, slow_seconds=4)
CORPUS = Corpus(
    2000,
    seed=21,
    start=datetime(2024, 1, 1, tzinfo=TEHRAN),
    end=datetime(2024, 3, 1, tzinfo=TEHRAN),
)


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
            settings={
                "CONCURRENT_REQUESTS": "16",
                "RETRY_TIMES": "6",
                "DOWNLOAD_TIMEOUT": "3",
                "MIZAN_BACKOFF_BASE": "0.05",
                "MIZAN_BACKOFF_MAX": "0.2",  # honour Retry-After, but briefly: 100 pauses
                "MIZAN_MAX_REFUSALS": "0",
                "SPIDERMON_MAX_ERRORS": "100000",
                "SPIDERMON_UNWANTED_HTTP_CODES": "{}",
            },
            timeout=600,
        )
        fetches = replica.article_fetches()
    assert broken, "the plan must break some pages"
    with open_store(f"sqlite:///{tmp_path / 'data' / 'mizan.sqlite'}") as store:
        stored = store.known_codes()
        assert store.count_revisions() == 0
    # A broken page is lost when nothing else gives what broke: a news body, or a date where
    # the page has no article:published_time meta tag.
    lost = {
        code
        for code in broken
        if CORPUS.by_code(code).kind == "news" or not CORPUS.by_code(code).with_meta_date
    }
    assert stored == truth - lost
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
