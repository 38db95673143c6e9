"""End-to-end: the date forms of saved pages and undated articles, crawled over real HTTP.

The saved fixture pages are served by the replica at their news codes; the crawl stores them in
its SQLite file, and what the store holds is compared with each fixture's expected record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mizan_crawler.cli import main
from mizan_crawler.monitoring.status import MONITOR_FAILED, OK
from mizan_crawler.replica import ReplicaServer, Reply
from mizan_crawler.store import open_store

from .crawling import CrawlResult, run_crawl

PAGES = Path(__file__).parent / "fixtures" / "pages"
DATED = (
    "twelve_hour_persian_pm",
    "twelve_hour_latin_pm",
    "twelve_hour_marker_first_zwnj",
    "gregorian_beside_jalali",
    "weekday_mismatch",
    "meta_modified_time",
    "modified_before_published",
)
UNREADABLE = ("gregorian_mismatch", "twelve_hour_contradiction")
DATE_FIELDS = ("published_at", "published_at_jalali", "published_at_raw", "modified_at")


def _expected(case: str) -> dict[str, Any]:
    return json.loads((PAGES / case / "expected.json").read_text("utf-8"))


def _serve(server: ReplicaServer, cases: tuple[str, ...]) -> list[int]:
    """Answer the next request for each case's article with its saved page."""
    codes = []
    for case in cases:
        code = _expected(case)["news_code"]
        page = (PAGES / case / "page.html").read_bytes()
        server.script(f"/fa/news/{code}", Reply(200, page))
        codes.append(code)
    return codes


def _crawl(server: ReplicaServer, codes: list[int], workdir: Path, **settings: str) -> CrawlResult:
    urls = ",".join(f"{server.base_url}/fa/news/{code}" for code in codes)
    return run_crawl("article", server.base_url, workdir, f"urls={urls}", settings=settings)


def _stored(workdir: Path) -> dict[int, dict[str, Any]]:
    with open_store(f"sqlite:///{workdir / 'data' / 'mizan.sqlite'}") as store:
        return {row["news_code"]: row for row in store.iter_articles()}


def test_new_date_forms_are_crawled_and_stored_as_read(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    codes = _serve(replica, DATED)
    result = _crawl(replica, codes, tmp_path)
    assert result.returncode == OK, result.log
    items = {item["news_code"]: item for item in result.items}
    stored = _stored(tmp_path)
    assert sorted(items) == sorted(stored) == sorted(codes)
    for case in DATED:
        expected = _expected(case)
        code = expected["news_code"]
        for name in DATE_FIELDS:
            assert items[code][name] == expected[name], (case, name)
            assert stored[code][name] == expected[name], (case, name)
    assert stored[4776301]["published_at"] == "2024-06-01T20:30:00+03:30"  # 08:30 ب.ظ
    assert stored[4776308]["modified_at"] == "2024-06-02T09:15:00+03:30"
    assert result.stats["mizan/problem/weekday_mismatch"] == 1
    assert result.stats["mizan/problem/modified_before_published"] == 1
    assert f"weekday_mismatch on {replica.base_url}/fa/news/4776307" in result.log
    assert not [key for key in result.stats if key.startswith("mizan/problem/date_")]


def _undated_codes(server: ReplicaServer, count: int) -> list[int]:
    # Without the article:published_time meta tag, a renamed date element leaves no date at all.
    found = [a for a in server.corpus if not a.withdrawn and not a.with_meta_date]
    return [a.news_code for a in found[-count:]]


def test_undated_articles_are_stored_with_null_dates_and_fail_the_crawl(
    replica: ReplicaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ReplicaServer(replica.corpus, broken=("date",)) as broken:
        codes = _undated_codes(broken, 4) + _serve(broken, UNREADABLE)
        result = _crawl(broken, codes, tmp_path)
    assert result.returncode == MONITOR_FAILED
    stored = _stored(tmp_path)
    assert sorted(stored) == sorted(codes)  # every one kept, none dropped
    assert not [key for key in result.stats if key.startswith("mizan/dropped/")]
    for code in codes:
        assert stored[code]["published_at"] is None
        assert stored[code]["published_at_jalali"] is None
    for case in UNREADABLE:
        expected = _expected(case)
        assert stored[expected["news_code"]]["published_at_raw"] == expected["published_at_raw"]
    for code in codes[:4]:
        assert stored[code]["published_at_raw"] is None  # the page printed no date
        assert f"date_missing on {broken.base_url}/fa/news/{code}" in result.log
    assert result.stats["mizan/problem/date_missing"] == 4
    assert result.stats["mizan/problem/gregorian_mismatch"] == 1
    assert result.stats["mizan/problem/date_unparseable"] == 1
    assert (
        "Monitor failed: Field coverage/readable dates: field published_at: null on 6 of 6 items"
        in result.log
    )
    assert "without a readable date: 6 articles, kept with published_at null" in result.log
    main(["stats", "--database-url", f"sqlite:///{tmp_path / 'data' / 'mizan.sqlite'}"])
    assert "articles: 6 (6 without a readable date)" in capsys.readouterr().out


def test_undated_articles_within_the_allowance_pass(replica: ReplicaServer, tmp_path: Path) -> None:
    with ReplicaServer(replica.corpus, broken=("date",)) as broken:
        codes = _undated_codes(broken, 2)
        result = _crawl(broken, codes, tmp_path, MIZAN_MAX_UNDATED="2")
    assert result.returncode == OK, result.log
    assert [row["published_at"] for row in _stored(tmp_path).values()] == [None, None]
    assert "without a readable date: 2 articles" in result.log
