"""Discovery against the replica over HTTP: backfills by sitemap, archive and code range, the
scheduled `news` crawl across runs, one fetch per news code, and resuming after SIGKILL."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from mizan_crawler.dates import TEHRAN, day_end, day_start
from mizan_crawler.replica import Corpus, ReplicaServer, short_link
from mizan_crawler.spiders.backfill import DEFAULT_LOOKAHEAD as LOOKAHEAD

from .crawling import run_crawl, sqlite_rows, start_crawl, stored_hashes

# 2,000 articles over six months of 2024: about eleven a day, a few hundred a month.
HALF_YEAR = dict(start=datetime(2024, 3, 1, tzinfo=TEHRAN), end=datetime(2024, 9, 1, tzinfo=TEHRAN))
# 3,000 articles over a month: a hundred a day, so three days fill ten listing pages.
DENSE = dict(start=datetime(2024, 6, 1, tzinfo=TEHRAN), end=datetime(2024, 7, 1, tzinfo=TEHRAN))


@pytest.fixture(scope="module")
def half_year() -> Iterator[ReplicaServer]:
    with ReplicaServer(Corpus(2000, seed=11, **HALF_YEAR)) as server:
        yield server


def _truth(replica: ReplicaServer, since: datetime | None, until: datetime | None) -> set[int]:
    return {row["news_code"] for row in replica.truth_records(since=since, until=until)}


def _fetches_since(replica: ReplicaServer, before: Counter[int]) -> Counter[int]:
    return replica.article_fetches() - before


DISALLOWED = ("/fa/save", "/fa/print", "/fa/send", "/fa/report", "/fa/ajax", "/fa/archive")


def _month_backfill(
    replica: ReplicaServer, workdir: Path, since: str, until: str, *, first: date, last: date
) -> None:
    started = time.monotonic()
    before = replica.article_fetches()
    result = run_crawl("backfill", replica.base_url, workdir, f"from={since}", f"to={until}")
    assert result.returncode == 0, result.log
    expected = _truth(replica, day_start(first), day_end(last))
    assert {item["news_code"] for item in result.items} == expected
    assert len(result.items) == len(expected)
    assert set(stored_hashes(workdir)) == expected
    fetched = _fetches_since(replica, before)
    assert max(fetched.values()) == 1, "an article page was fetched twice"
    assert expected <= set(fetched)
    # Outside the range: articles published before it and edited inside or after it (candidates
    # by their lastmod), and the chain's look-ahead past the range's end; nothing else.
    edited_into = sum(
        datetime.fromisoformat(row["lastmod"]) >= day_start(first)
        for row in replica.truth_records(until=day_start(first) - timedelta(seconds=1))
    )
    assert len(set(fetched) - expected) <= edited_into + LOOKAHEAD, "too many pages outside"
    edited_later = [
        row for row in replica.truth_records(since=day_start(first), until=day_end(last))
        if datetime.fromisoformat(row["lastmod"]) > day_end(last)
    ]  # fmt: skip
    assert edited_later, "the corpus must hold articles of the range edited after it"
    requested = [r.path for r in replica.requests if r.at >= started]
    assert not [path for path in requested if path.startswith(DISALLOWED)]


def test_backfill_of_a_gregorian_month(half_year: ReplicaServer, tmp_path: Path) -> None:
    _month_backfill(
        half_year,
        tmp_path,
        "2024-06-01",
        "2024-06-30",
        first=date(2024, 6, 1),
        last=date(2024, 6, 30),
    )


def test_backfill_of_a_jalali_month(half_year: ReplicaServer, tmp_path: Path) -> None:
    # Tir 1403 runs from 2024-06-21 to 2024-07-21.
    _month_backfill(
        half_year,
        tmp_path,
        "1403-04-01",
        "1403-04-31",
        first=date(2024, 6, 21),
        last=date(2024, 7, 21),
    )


def test_backfill_skips_stored_articles_unless_refresh(
    half_year: ReplicaServer, tmp_path: Path
) -> None:
    args = ("from=2024-05-01", "to=2024-05-07")
    run_crawl("backfill", half_year.base_url, tmp_path, *args)
    before = half_year.article_fetches()
    again = run_crawl("backfill", half_year.base_url, tmp_path, *args)
    assert again.items == []
    assert not _fetches_since(half_year, before) & Counter(stored_hashes(tmp_path))
    refreshed = run_crawl("backfill", half_year.base_url, tmp_path, *args, "refresh=1")
    assert {item["news_code"] for item in refreshed.items} == set(stored_hashes(tmp_path))
    assert refreshed.stats["mizan/store/unchanged"] == len(refreshed.items)


def test_code_range_with_gaps(half_year: ReplicaServer, tmp_path: Path) -> None:
    codes = sorted(_truth(half_year, None, None))[100:130]
    first, last = codes[0], codes[-1]
    result = run_crawl("backfill", half_year.base_url, tmp_path, f"codes={first}-{last}")
    assert result.returncode == 0, result.log
    withdrawn = {
        a.news_code for a in half_year.corpus if a.withdrawn and first <= a.news_code <= last
    }
    assert {item["news_code"] for item in result.items} == set(codes)
    missing = (last - first + 1) - len(codes) - len(withdrawn)
    assert missing > 0
    assert result.stats["mizan/skipped/http_404"] == missing
    assert result.stats.get("log_count/ERROR", 0) == 0
    assert "No article at" not in result.log.replace("(cms_error_page)", "")


def test_archive_listings_when_robots_allow(tmp_path: Path) -> None:
    with ReplicaServer(Corpus(2000, seed=11, **HALF_YEAR), archive_allowed=True) as replica:
        result = run_crawl(
            "backfill",
            replica.base_url,
            tmp_path,
            "from=2024-06-01",
            "to=2024-06-10",
            "source=archive",
        )
        expected = _truth(replica, day_start(date(2024, 6, 1)), day_end(date(2024, 6, 10)))
        assert {item["news_code"] for item in result.items} == expected
        assert max(replica.article_fetches().values()) == 1


def test_archive_disallowed_by_robots_is_never_requested(
    half_year: ReplicaServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = run_crawl(
        "backfill",
        half_year.base_url,
        tmp_path,
        "from=2024-06-01",
        "to=2024-06-10",
        "source=archive",
    )
    assert result.stats["finish_reason"] == "archive_disallowed"
    assert "disallowed by robots.txt" in result.log
    recent = [r.path for r in half_year.requests if r.at >= started]
    assert "/robots.txt" in recent
    assert not [path for path in recent if path.startswith("/fa/archive")]


def test_news_across_runs(tmp_path: Path) -> None:
    corpus = Corpus(3000, seed=5, **DENSE)
    with ReplicaServer(corpus, now=datetime(2024, 6, 15, 12, tzinfo=TEHRAN)) as replica:
        first_now = replica.now
        first = run_crawl("news", replica.base_url, tmp_path)
        assert first.returncode == 0, first.log
        horizon = _truth(replica, first_now - timedelta(hours=48), first_now)
        assert horizon <= {item["news_code"] for item in first.items}

        before = replica.article_fetches()
        unchanged = run_crawl("news", replica.base_url, tmp_path)
        assert unchanged.items == []
        assert _fetches_since(replica, before) == Counter()

        fresh = {article.news_code for article in replica.publish(25)}
        before = replica.article_fetches()
        new = run_crawl("news", replica.base_url, tmp_path)
        assert {item["news_code"] for item in new.items} == fresh - {
            a.news_code for a in corpus if a.withdrawn
        }
        assert set(_fetches_since(replica, before)) <= fresh

        outage_start = replica.now
        replica.set_clock(outage_start + timedelta(days=3))
        gap = _truth(replica, outage_start + timedelta(seconds=1), replica.now)
        after_outage = run_crawl("news", replica.base_url, tmp_path)
        assert {item["news_code"] for item in after_outage.items} == gap
        assert after_outage.stats["mizan/discovery/listing_pages"] >= 10
        assert _truth(replica, first_now - timedelta(hours=48), None) <= set(
            stored_hashes(tmp_path)
        )


def test_five_url_forms_give_one_fetch_and_one_row(
    half_year: ReplicaServer, tmp_path: Path
) -> None:
    article = next(
        a for a in half_year.corpus if not a.withdrawn and a.kind == "news" and a.index > 1500
    )
    base, code = half_year.base_url, article.news_code
    forms = [
        f"{base}/fa/news/{code}/{article.slug}",
        f"{base}/fa/news/{code}/other-slug?utm_source=telegram&utm_medium=social",
        f"http://mizanonline.com/fa/news/{code}",
        f"{base}/fa/amp/news/{code}",
        f"{base}/fa/print/{code}",
        f"{base}{short_link(code)}",
    ]
    before = half_year.article_fetches()
    result = run_crawl("article", base, tmp_path, "urls=" + ",".join(forms))
    assert result.returncode == 0, result.log
    assert _fetches_since(half_year, before) == Counter({code: 1})
    assert [item["news_code"] for item in result.items] == [code]
    assert set(stored_hashes(tmp_path)) == {code}


def test_interrupted_backfill_resumes_to_the_uninterrupted_result(
    half_year: ReplicaServer, tmp_path: Path
) -> None:
    args = ("from=2024-04-01", "to=2024-05-15")
    whole = run_crawl("backfill", half_year.base_url, tmp_path / "whole", *args)
    assert whole.returncode == 0, whole.log
    killed_dir = tmp_path / "killed"
    slow = {"DOWNLOAD_DELAY": "0.01", "MIZAN_STORE_BATCH": "7"}
    # A clean stop (SIGINT) first, then two power cuts (SIGKILL) at other moments.
    for kill_after, how in ((20, signal.SIGINT), (120, signal.SIGKILL), (300, signal.SIGKILL)):
        crawl = start_crawl("backfill", half_year.base_url, killed_dir, *args, settings=slow)
        deadline = time.monotonic() + 60
        while (
            sqlite_rows(killed_dir / "data" / "mizan.sqlite") < kill_after
            and crawl.process.poll() is None
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(crawl.process.pid, how)
        crawl.wait()
    stored_before = set(stored_hashes(killed_dir))
    before = half_year.article_fetches()
    resumed = run_crawl("backfill", half_year.base_url, killed_dir, *args)
    assert resumed.returncode == 0, resumed.log
    assert not set(_fetches_since(half_year, before)) & stored_before, (
        "a stored article was fetched again"
    )
    assert stored_hashes(killed_dir) == stored_hashes(tmp_path / "whole")
