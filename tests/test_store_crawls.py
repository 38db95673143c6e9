"""Crawls of the replica into real stores: the default SQLite file, and PostgreSQL shared by two
crawls at once and losing its connections mid-crawl."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from mizan_crawler.replica import ReplicaServer, Reply
from mizan_crawler.replica.render import article_page
from mizan_crawler.store import open_store

from .crawling import run_crawl, start_crawl


def _codes(replica: ReplicaServer, count: int, start: int = 0) -> list[int]:
    live = [a.news_code for a in replica.corpus if not a.withdrawn and a.kind == "news"]
    return live[start : start + count]


def _urls(codes: list[int]) -> str:
    return "urls=" + ",".join(map(str, codes))


def test_default_crawl_writes_sqlite_and_jsonl(replica: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(replica, 5)
    result = run_crawl("article", replica.base_url, tmp_path, _urls(codes))
    assert result.returncode == 0, result.log
    assert sorted(item["news_code"] for item in result.items) == sorted(codes)
    with open_store(f"sqlite:///{tmp_path / 'data' / 'mizan.sqlite'}") as store:
        rows = {row["news_code"]: row for row in store.iter_articles()}
    assert sorted(rows) == sorted(codes)
    for item in result.items:
        assert {name: rows[item["news_code"]][name] for name in item} == item
    assert result.stats["mizan/store/new"] == 5


def test_recrawl_of_an_edited_article_keeps_the_old_version(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    codes = _codes(replica, 3, start=10)
    run_crawl("article", replica.base_url, tmp_path, _urls(codes))
    article = replica.corpus.by_code(codes[0])
    edited = re.sub(
        r'(<h1 class="\w+"><a [^>]*>)', "\\1ویرایش\u200cشده ", article_page(article), count=1
    )
    replica.script(f"/fa/news/{codes[0]}", Reply(200, edited.encode()))
    second = run_crawl("article", replica.base_url, tmp_path, _urls(codes))
    assert second.stats["mizan/store/updated"] == 1
    assert second.stats["mizan/store/unchanged"] == 2
    with open_store(f"sqlite:///{tmp_path / 'data' / 'mizan.sqlite'}") as store:
        assert len(store.known_codes()) == 3
        revisions = list(store.iter_revisions(codes[0]))
        row = next(r for r in store.iter_articles() if r["news_code"] == codes[0])
    assert [r["title"] for r in revisions] == [article.title]
    assert row["title"] == f"ویرایش\u200cشده {article.title}"


def test_two_crawls_at_once_into_one_postgres(
    replica: ReplicaServer, tmp_path: Path, pg_url: str
) -> None:
    first, second = _codes(replica, 40, start=20), _codes(replica, 40, start=40)
    env = {"DATABASE_URL": pg_url}
    settings = {"MIZAN_STORE_BATCH": "3"}
    crawls = [
        start_crawl(
            "article", replica.base_url, tmp_path / name, _urls(codes), settings=settings, env=env
        )
        for name, codes in (("a", first), ("b", second))
    ]
    results = [crawl.wait() for crawl in crawls]
    assert all(result.returncode == 0 for result in results), results[0].log + results[1].log
    with open_store(pg_url) as store:
        assert store.known_codes() == set(first) | set(second)
        assert store.count_revisions() == 0
    with psycopg.connect(pg_url) as connection:
        total = connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert total == len(set(first) | set(second))
    stored = sum(r.stats.get("mizan/store/new", 0) for r in results)
    assert stored == len(set(first) | set(second))


def test_connections_killed_mid_crawl_lose_nothing(
    replica: ReplicaServer, tmp_path: Path, pg_url: str
) -> None:
    codes = _codes(replica, 40, start=100)
    name = pg_url.rsplit("/", 1)[1]
    # The server trusts local connections, so a password is accepted and must never be logged.
    with_password = pg_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@")
    crawl = start_crawl(
        "article",
        replica.base_url,
        tmp_path,
        _urls(codes),
        settings={
            "MIZAN_STORE_BATCH": "2",
            "DOWNLOAD_DELAY": "0.05",
            "DOWNLOAD_DELAY_JITTER": "0",
            # Every kill that forces spooling logs an error; here they are the point, not a fault.
            "SPIDERMON_MAX_ERRORS": "1000",
        },
        env={"DATABASE_URL": with_password},
    )
    stop = threading.Event()
    killed = []

    def kill_connections() -> None:
        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            while not stop.wait(0.25):
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                ).fetchall()
                killed.extend(rows)

    killer = threading.Thread(target=kill_connections)
    killer.start()
    try:
        result = crawl.wait()
    finally:
        stop.set()
        killer.join()
    assert result.returncode == 0, result.log
    assert killed, "the test never killed a connection"
    noticed = result.stats.get("mizan/store/reconnects", 0) + result.stats.get(
        "mizan/store/spooled", 0
    )
    assert noticed > 0
    with open_store(pg_url) as store:
        assert store.known_codes() == set(codes), result.log
    assert "s3cret-pw" not in result.log
    assert "postgres:***@" in result.log


def test_crawl_feeds_write_parquet_and_excel_csv(replica: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(replica, 6, start=200)
    result = run_crawl(
        "article",
        replica.base_url,
        tmp_path,
        _urls(codes),
        settings={
            "FEEDS": json.dumps({"a.parquet": {"format": "parquet"}, "a.csv": {"format": "csvbom"}})
        },
    )
    assert result.returncode == 0, result.log
    table = pq.read_table(tmp_path / "a.parquet")
    assert sorted(table.column("news_code").to_pylist()) == sorted(codes)
    assert table.schema.field("tags").type == pa.list_(pa.string())
    by_code = {item["news_code"]: item for item in result.items}
    for row in table.to_pylist():
        assert row["title"] == by_code[row["news_code"]]["title"]
        assert row["tags"] == by_code[row["news_code"]]["tags"]
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfnews_code,url,title,")
    assert len(raw.decode("utf-8-sig").splitlines()) > len(codes)
