"""End-to-end: the ``article`` spider crawls the replica over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

from mizan_crawler.replica import ReplicaServer, Reply
from mizan_crawler.replica.render import error_page

from .crawling import run_crawl

COMPARED = (
    "news_code", "url", "title", "uptitle", "lead", "body", "published_at", "service",
    "category", "tags", "image_urls", "kind", "source", "language",
)  # fmt: skip


def _pick(replica: ReplicaServer, count: int, **wanted: str) -> list[int]:
    found = [
        article.news_code
        for article in replica.corpus
        if not article.withdrawn and all(getattr(article, k) == v for k, v in wanted.items())
    ]
    return found[:count]


def test_article_spider_matches_replica_truth(replica: ReplicaServer, tmp_path: Path) -> None:
    codes = (
        _pick(replica, 4, theme="current", kind="news")
        + _pick(replica, 4, theme="old", kind="news")
        + _pick(replica, 2, kind="photo")
        + _pick(replica, 2, kind="video")
    )
    urls = [f"{replica.base_url}/fa/news/{code}" for code in codes]
    result = run_crawl("article", replica.base_url, tmp_path, "urls=" + ",".join(urls))
    assert result.returncode == 0, result.log
    by_code = {item["news_code"]: item for item in result.items}
    assert sorted(by_code) == sorted(codes)
    for code in codes:
        truth = replica.corpus.expected_record(replica.corpus.by_code(code), replica.base_url)
        item = by_code[code]
        assert {name: item[name] for name in COMPARED} == {name: truth[name] for name in COMPARED}
        assert len(item["content_hash"]) == 64
        assert item["crawled_at"].endswith("+00:00")
    assert result.stats["item_scraped_count"] == len(codes)


def test_feed_is_utf8_not_escaped(replica: ReplicaServer, tmp_path: Path) -> None:
    code = _pick(replica, 1, kind="news")[0]
    run_crawl("article", replica.base_url, tmp_path, f"urls={code}")
    raw = (tmp_path / "items.jsonl").read_text("utf-8")
    assert "\\u06" not in raw
    assert "\u200c" in raw or "ی" in raw


def test_pages_that_are_not_articles_are_counted_by_reason(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    withdrawn = next(article.news_code for article in replica.corpus if article.withdrawn)
    good = _pick(replica, 1)[0]
    urls = [
        f"{replica.base_url}/fa/news/{good}",
        f"{replica.base_url}/fa/news/999",  # no such article: 404
        f"{replica.base_url}/fa/news/{withdrawn}",  # CMS error page with status 200
        f"{replica.base_url}/fa/allnews?p=1",  # a listing
    ]
    (tmp_path / "urls.txt").write_text("# one URL a line\n" + "\n".join(urls) + "\n\n", "utf-8")
    result = run_crawl("article", replica.base_url, tmp_path, "url_file=urls.txt")
    assert [item["news_code"] for item in result.items] == [good]
    assert result.stats["mizan/skipped/http_404"] == 1
    assert result.stats["mizan/skipped/cms_error_page"] == 1
    assert result.stats["mizan/skipped/not_an_article"] == 1
    assert f"No article at {replica.base_url}/fa/news/999 (http_404)" in result.log


def test_retry_after_is_honoured_on_429(replica: ReplicaServer, tmp_path: Path) -> None:
    code = _pick(replica, 1, kind="news")[-1]
    path = f"/fa/news/{code}"
    busy = Reply(429, error_page().encode(), headers={"Retry-After": "2"})
    replica.script(path, busy)
    started = time.monotonic()
    result = run_crawl("article", replica.base_url, tmp_path, f"urls={code}")
    fetches = [logged for logged in replica.requests_for(path) if logged.at >= started]
    assert [logged.status for logged in fetches] == [429, 200]
    assert fetches[1].at - fetches[0].at >= 2.0
    assert [item["news_code"] for item in result.items] == [code]
    assert result.stats["mizan/backoff/count"] == 1


def test_spider_without_urls_fails_clearly(replica: ReplicaServer, tmp_path: Path) -> None:
    result = run_crawl("article", replica.base_url, tmp_path)
    assert result.returncode != 0
    assert "give article URLs with -a urls=" in result.log
    assert result.items == []
