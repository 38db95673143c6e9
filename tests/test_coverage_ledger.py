"""The coverage ledger against the replica over HTTP: a catch-up after an outage cut short in
every way the review found (an item-count stop, a page limit, SIGKILL after a store batch, a
stored article printed a year ahead) is completed by the next normal run; short links cost
nothing once known; a run whose discovery sources all fail or changed never ends green."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mizan_crawler.dates import TEHRAN
from mizan_crawler.replica import Corpus, ReplicaServer, Reply
from mizan_crawler.store import open_store

from .crawling import run_crawl, sqlite_rows, start_crawl, stored_hashes, wait_for

# The replica's timeline ends at the real present, so "later than now" means the same to the
# crawler and to the site: 300 articles over 30 days, ten a day.
NOW = datetime.now(TEHRAN).replace(second=0, microsecond=0)
OUTAGE = 80
FAST_RETRIES = {"MIZAN_BACKOFF_BASE": "0.01", "RETRY_TIMES": "1"}


def _replica(**switches: object) -> ReplicaServer:
    corpus = Corpus(300, seed=21, start=NOW - timedelta(days=30), end=NOW)
    return ReplicaServer(corpus, now=NOW - timedelta(days=9), **switches)  # type: ignore[arg-type]


def _live(replica: ReplicaServer, since: datetime, until: datetime) -> set[int]:
    return {row["news_code"] for row in replica.truth_records(since=since, until=until)}


def _database(workdir: Path) -> Path:
    return workdir / "data" / "mizan.sqlite"


def _stopped_catch_up(replica: ReplicaServer, workdir: Path, how: str) -> str:
    """Run the catch-up after the outage, stopped ``how``; its log."""
    if how == "item_count":
        result = run_crawl(
            "news", replica.base_url, workdir, settings={"CLOSESPIDER_ITEMCOUNT": "15"}
        )
        assert result.returncode in (2, 3), result.log  # stopped early: said by the status
        assert result.stats["finish_reason"] == "closespider_itemcount"
        return result.log
    if how == "page_limit":
        result = run_crawl(
            "news", replica.base_url, workdir, settings={"MIZAN_NEWS_MAX_PAGES": "1"}
        )
        assert result.returncode == 0, result.log
        assert result.stats["mizan/discovery/listing_pages"] == 1
        return result.log
    assert how == "sigkill"
    before = sqlite_rows(_database(workdir))
    running = start_crawl(
        "news",
        replica.base_url,
        workdir,
        settings={"MIZAN_STORE_BATCH": "10", "DOWNLOAD_DELAY": "0.05"},
    )
    wait_for(lambda: sqlite_rows(_database(workdir)) >= before + 10, "a first store batch")
    os.kill(running.process.pid, signal.SIGKILL)
    result = running.wait()
    assert result.returncode == -signal.SIGKILL
    assert sqlite_rows(_database(workdir)) < before + OUTAGE, "the crawl was not cut short"
    return result.log


@pytest.mark.parametrize("how", ["item_count", "page_limit", "sigkill", "future_dated"])
def test_a_catch_up_cut_short_is_completed_by_the_next_run(tmp_path: Path, how: str) -> None:
    switches: dict[str, object] = {}
    with _replica() as probe:  # which article the first run stores, to print it a year ahead
        typo = max(_live(probe, probe.now - timedelta(hours=24), probe.now))
    if how == "future_dated":
        switches["future_dated"] = frozenset({typo})
    with _replica(**switches) as replica:
        first = run_crawl("news", replica.base_url, tmp_path)
        assert first.returncode == 0, first.log
        assert "not yet read: none" in first.log
        before_outage = replica.now
        outage = {article.news_code for article in replica.publish(OUTAGE)}
        expected = _live(replica, before_outage + timedelta(seconds=1), replica.now)
        assert expected <= outage and len(expected) >= OUTAGE - 3  # a withdrawn story or two

        if how == "future_dated":
            assert typo in stored_hashes(tmp_path)
            with open_store(f"sqlite:///{_database(tmp_path)}") as store:
                printed = next(r for r in store.iter_articles() if r["news_code"] == typo)
            assert datetime.fromisoformat(printed["published_at"]) > datetime.now(TEHRAN)
            catch_up = run_crawl("news", replica.base_url, tmp_path)
            assert catch_up.returncode == 0, catch_up.log
            assert expected <= set(stored_hashes(tmp_path)), "the typo stopped the walk"
            assert catch_up.stats["mizan/discovery/future_dated"] >= 1
            assert f"/fa/news/{typo}" in catch_up.log  # the untrusted date is logged by URL
            return

        log = _stopped_catch_up(replica, tmp_path, how)
        missing = expected - set(stored_hashes(tmp_path))
        assert missing, "the catch-up was not cut short"
        if how != "sigkill":  # a killed run says nothing; the others say what is left
            assert "Coverage: not yet read" in log
            assert "not yet read: none" not in log

        normal = run_crawl("news", replica.base_url, tmp_path)
        assert normal.returncode == 0, normal.log
        assert expected <= set(stored_hashes(tmp_path)), (
            f"{len(expected - set(stored_hashes(tmp_path)))} of the outage's articles never stored"
        )
        assert "not yet read: none" in normal.log


def test_the_ledger_is_shown_by_stats(tmp_path: Path) -> None:
    with _replica() as replica:
        assert run_crawl("news", replica.base_url, tmp_path).returncode == 0
    done = subprocess.run(
        [sys.executable, "-m", "mizan_crawler", "stats"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shown = done.stdout
    assert "coverage ledger:" in shown
    assert "timeline read:" in shown
    assert "scheduled crawls read back to:" in shown


def test_short_links_cost_nothing_once_known(tmp_path: Path) -> None:
    with _replica(short_links=True, validators=True) as replica:
        first = run_crawl("news", replica.base_url, tmp_path)
        assert first.returncode == 0, first.log
        stored = set(stored_hashes(tmp_path))
        assert stored, "nothing stored through short links"
        before = replica.article_fetches()
        short_before = Counter(r.path for r in list(replica.requests) if r.path.startswith("/00"))
        second = run_crawl("news", replica.base_url, tmp_path)
        assert second.returncode == 0, second.log
        assert replica.article_fetches() - before == Counter(), "known articles fetched again"
        short_after = Counter(r.path for r in list(replica.requests) if r.path.startswith("/00"))
        assert short_after - short_before == Counter(), "known short links followed again"
        discovery = ("/fa/rss/allnews", "/fa-sitemap-news", "/fa/allnews?p=1")
        assert [replica.requests_for(path)[-1].status for path in discovery] == [304, 304, 304]
        with open_store(f"sqlite:///{_database(tmp_path)}") as store:
            links = store.short_links()
        assert set(links.values()) <= stored and len(links) >= len(stored) // 2


def test_every_discovery_source_broken_is_not_green(tmp_path: Path) -> None:
    with _replica(failing=("feed", "news_sitemap"), listing_redesign=True) as replica:
        result = run_crawl("news", replica.base_url, tmp_path, settings=FAST_RETRIES)
    assert result.returncode == 3, result.log  # the listing's redesign fails its monitor
    assert "Discovery source feed gave nothing" in result.log
    assert "Discovery source news_sitemap gave nothing" in result.log
    assert "HTTP 500" in result.log
    assert "no card selector matched" in result.log
    assert result.stats["mizan/discovery/listing_fallback"] >= 1
    assert "listing markup" in result.stats["mizan/monitors/failed_checks"]


def test_every_discovery_source_failing_exits_non_zero(tmp_path: Path) -> None:
    with _replica(failing=("feed", "news_sitemap", "listing")) as replica:
        result = run_crawl("news", replica.base_url, tmp_path, settings=FAST_RETRIES)
    assert result.returncode in (2, 3), result.log  # stopped, and its finish reason monitored
    assert result.stats["finish_reason"] == "discovery_failed"
    for source in ("feed", "news_sitemap", "listing"):
        assert result.stats[f"mizan/discovery/source/{source}/failed"] == "HTTP 500"
    assert "Every discovery source gave nothing: feed: HTTP 500; news_sitemap: HTTP 500" in (
        result.log
    )


def _marks(workdir: Path, source: str) -> list[tuple[int, int]]:
    with open_store(f"sqlite:///{_database(workdir)}") as store:
        return [(m.first, m.last) for m in store.coverage() if m.source == source]


def test_a_completed_backfill_is_a_span_of_the_ledger(tmp_path: Path) -> None:
    with _replica() as replica:
        day = (replica.now - timedelta(days=3)).date()
        result = run_crawl(
            "backfill",
            replica.base_url,
            tmp_path,
            f"from={day}",
            f"to={day}",
            settings=FAST_RETRIES,
        )
        assert result.returncode == 0, result.log
        start = datetime(day.year, day.month, day.day, tzinfo=TEHRAN)
        end = start + timedelta(days=1) - timedelta(seconds=1)
        assert _marks(tmp_path, "backfill") == [(int(start.timestamp()), int(end.timestamp()))]
        codes = sorted(_live(replica, start, end))
        span = f"codes={codes[0]}-{codes[-1]}"
        ranged = run_crawl("backfill", replica.base_url, tmp_path / "codes", span)
        assert ranged.returncode == 0, ranged.log
        assert _marks(tmp_path / "codes", "codes") == [(codes[0], codes[-1])]


def test_a_backfill_that_could_not_fetch_an_article_records_no_span(tmp_path: Path) -> None:
    with _replica() as replica:
        day = (replica.now - timedelta(days=3)).date()
        start = datetime(day.year, day.month, day.day, tzinfo=TEHRAN)
        victim = min(_live(replica, start, start + timedelta(days=1)))
        replica.script(f"/fa/news/{victim}", *[Reply(500, b"<html>down</html>")] * 5)
        result = run_crawl(
            "backfill",
            replica.base_url,
            tmp_path,
            f"from={day}",
            f"to={day}",
            settings=FAST_RETRIES,
        )
    assert f"Could not fetch {replica.base_url}/fa/news/{victim}: HTTP 500" in result.log
    assert victim not in stored_hashes(tmp_path)
    assert _marks(tmp_path, "backfill") == []
    assert "not recorded as complete in the coverage ledger" in result.log
