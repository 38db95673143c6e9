"""End-to-end: the ``article`` spider crawls the replica over real HTTP."""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler

from mizan_crawler.replica import ReplicaServer, Reply
from mizan_crawler.replica.render import error_page, printed_date
from mizan_crawler.spiders.article import ArticleSpider

from .crawling import run_crawl

ROOT = Path(__file__).resolve().parent.parent

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
    started = time.monotonic()
    result = run_crawl("article", replica.base_url, tmp_path)
    assert result.returncode == 2  # a usage error, before anything starts
    assert "error: give article URLs with -a urls=URL[,URL...] or -a url_file=PATH" in result.log
    assert "Traceback" not in result.log
    assert result.items == []
    assert [logged for logged in list(replica.requests) if logged.at >= started] == []


def test_spider_with_an_unreadable_url_file_fails_clearly(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    result = run_crawl("article", replica.base_url, tmp_path, "url_file=missing.txt")
    assert result.returncode == 2
    assert "error: -a url_file=missing.txt: No such file or directory" in result.log
    assert "Traceback" not in result.log


def test_a_crawl_started_without_the_command_check_stops_with_a_reason() -> None:
    """Started from code, past the crawl command's check: the first thing it does is stop."""
    crawler = get_crawler(ArticleSpider, {"MIZAN_BASE_URL": "http://127.0.0.1:9"})
    spider = ArticleSpider.from_crawler(crawler)
    with pytest.raises(CloseSpider) as stopped:
        asyncio.run(anext(spider.start()))
    assert stopped.value.reason == "no_urls"


def _scrapy_parse(
    replica: ReplicaServer, tmp_path: Path, url: str
) -> subprocess.CompletedProcess[str]:
    """``scrapy parse --spider=article URL`` as an operator types it in the checkout."""
    environment = {
        **os.environ,
        "MIZAN_BASE_URL": replica.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mizan.sqlite'}",
        "MIZAN_ARCHIVE_DIR": str(tmp_path / "archive"),  # not the checkout's data/archive
    }
    environment.pop("SCRAPY_SETTINGS_MODULE", None)  # found through scrapy.cfg
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "parse", "--spider=article", url],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _printed_items(output: str) -> list[dict]:
    """The items ``scrapy parse`` prints: a Python literal between two headings."""
    start = output.index("# Scraped Items")
    start = output.index("\n", start) + 1
    return ast.literal_eval(output[start : output.index("# Requests", start)])


def test_scrapy_parse_prints_the_article_record(replica: ReplicaServer, tmp_path: Path) -> None:
    code = _pick(replica, 1, kind="news")[0]
    done = _scrapy_parse(replica, tmp_path, f"{replica.base_url}/fa/news/{code}")
    assert done.returncode == 0, done.stderr
    [item] = _printed_items(done.stdout)
    truth = replica.corpus.expected_record(replica.corpus.by_code(code), replica.base_url)
    assert {name: item[name] for name in COMPARED} == {name: truth[name] for name in COMPARED}


def test_scrapy_parse_shows_the_pages_problems(replica: ReplicaServer, tmp_path: Path) -> None:
    article = replica.corpus.by_code(_pick(replica, 2, kind="news")[1])
    path = f"/fa/news/{article.news_code}"
    page = replica.answer(path).body.decode()
    broken = page.replace(printed_date(article), "تاریخ انتشار: نامعلوم")
    assert broken != page
    replica.script(path, Reply(200, broken.encode()))
    done = _scrapy_parse(replica, tmp_path, replica.base_url + path)
    assert done.returncode == 0, done.stderr
    [item] = _printed_items(done.stdout)
    assert item["news_code"] == article.news_code
    assert item["published_at_raw"] == "تاریخ انتشار: نامعلوم"
    assert f"ERROR: date_unparseable on {replica.base_url}{path}" in done.stderr
