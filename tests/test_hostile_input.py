"""Hostile pages and links: fuzzed and broken responses never crash a spider, offsite links and
redirects are never followed, and credentials never reach logs or exported files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mizan_crawler.cli import main as cli_main
from mizan_crawler.replica import ReplicaServer, Reply
from mizan_crawler.replica.render import article_page
from mizan_crawler.store import open_store

from .crawling import run_crawl
from .records import record

CRASH_SIGNS = ("Spider error processing", "Error processing {", "Unhandled error")


def _news_codes(replica: ReplicaServer, count: int, offset: int) -> list[int]:
    found = [a.news_code for a in replica.corpus if not a.withdrawn and a.kind == "news"]
    return found[offset : offset + count]


def _fuzzed_pages(replica: ReplicaServer, code: int) -> list[bytes]:
    rng = random.Random(code)
    good = article_page(replica.corpus.by_code(code)).encode()
    return [
        bytes(rng.randrange(256) for _ in range(5000)),  # binary garbage
        good[: len(good) // 3],  # truncated mid-tag
        b"<html><body>" + b"<div>" * 20_000 + b"deep" + b"</div>" * 20_000 + b"</body></html>",
        b'<html><body><div class="body" data-x="' + b"A" * 3_000_000 + b'">x</div></body></html>',
        good.decode().replace("utf-8", "windows-1256").encode("utf-8"),  # wrong declared charset
        "<html><head><meta charset='utf-16'></head><body>ناهمخوان</body></html>".encode(),
        b"",
        good * 40,  # one page pasted forty times
        b"<<<>>><<!--<script>\x00\x01\x02</scr",
    ]


def test_fuzzed_responses_never_crash_the_spider(replica: ReplicaServer, tmp_path: Path) -> None:
    codes = _news_codes(replica, 9, offset=150)
    for code in codes:
        pages = _fuzzed_pages(replica, codes[0])
        replica.script(f"/fa/news/{code}", Reply(200, pages[codes.index(code)]))
    result = run_crawl("article", replica.base_url, tmp_path, "urls=" + ",".join(map(str, codes)))
    assert result.returncode in (0, 3), result.log  # finished; monitors may rightly complain
    assert result.stats["finish_reason"] == "finished"
    assert not [sign for sign in CRASH_SIGNS if sign in result.log], result.log
    assert result.stats.get("spider_exceptions/count", 0) == 0


def test_oversized_responses_are_refused(replica: ReplicaServer, tmp_path: Path) -> None:
    code = _news_codes(replica, 1, offset=170)[0]
    replica.script(f"/fa/news/{code}", Reply(200, b"<html>" + b" " * 3_000_000 + b"</html>"))
    result = run_crawl(
        "article",
        replica.base_url,
        tmp_path,
        f"urls={code}",
        settings={"DOWNLOAD_MAXSIZE": "1000000"},
    )
    assert result.items == []
    assert "larger than download max size (1000000)" in result.log
    assert result.stats["mizan/failed/DownloadCancelledError"] == 1
    assert not [sign for sign in CRASH_SIGNS if sign in result.log]


def test_offsite_and_script_links_are_never_followed(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    good = _news_codes(replica, 1, offset=180)[0]
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><link>https://evil.invalid/fa/news/{good}</link></item>
<item><link>javascript:alert(1)</link></item>
<item><link>data:text/html,&lt;b&gt;x</link></item>
<item><link>https://www.mizanonline.ir.evil.invalid/fa/news/{good}</link></item>
<item><link>{replica.base_url}/fa/news/{good}</link></item></channel></rss>"""
    replica.script("/fa/rss/allnews", Reply(200, feed.encode(), "application/rss+xml"))
    result = run_crawl(
        "news",
        replica.base_url,
        tmp_path,
        "since=2000-01-01",
        settings={"MIZAN_NEWS_MAX_PAGES": "1"},
    )
    assert result.stats.get("mizan/discovery/offsite", 0) >= 2
    assert not [key for key in result.stats if "DNSLookupError" in key or "ConnectError" in key]
    assert good in {item["news_code"] for item in result.items}


def test_redirects_to_other_hosts_are_refused(replica: ReplicaServer, tmp_path: Path) -> None:
    code = _news_codes(replica, 1, offset=190)[0]
    replica.script(
        f"/fa/news/{code}", Reply(301, b"", headers={"Location": "http://evil.invalid/fa/news/1"})
    )
    result = run_crawl("article", replica.base_url, tmp_path, f"urls={code}")
    assert result.items == []
    assert result.stats.get("offsite/filtered", 0) == 1
    assert not [key for key in result.stats if "DNSLookupError" in key]


def test_credentials_never_reach_exported_files(tmp_path: Path, pg_url: str) -> None:
    secret_url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@")
    with open_store(secret_url) as store:
        store.write([record(1)])
    out = tmp_path / "dataset"
    for fmt in ("jsonl", "csv", "parquet"):
        cli_main(["export", "--database-url", secret_url, "--format", fmt, "--out", str(out)])
    for path in out.iterdir():
        assert b"s3cret-pw" not in path.read_bytes(), path.name
    assert "postgres:***@" in (out / "README.md").read_text()


@pytest.mark.parametrize("target", ["../outside", "nested/../../outside2"])
def test_export_writes_only_inside_the_chosen_directory(tmp_path: Path, target: str) -> None:
    database_url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with open_store(database_url) as store:
        store.write([record(1)])
    workdir = tmp_path / "work"
    workdir.mkdir()
    out = workdir / target
    cli_main(["export", "--database-url", database_url, "--format", "jsonl", "--out", str(out)])
    written = sorted(p.name for p in out.resolve().iterdir())
    assert written == ["README.md", "articles.jsonl", "revisions.jsonl"]
