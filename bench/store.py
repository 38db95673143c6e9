"""What the store costs: items/s into SQLite and PostgreSQL next to a JSONL feed alone, and a
full-speed crawl of the replica with the SQLite store next to the same crawl with JSONL alone.

    python bench/store.py [--items 5000] [--crawl 2000] [--rounds 2] [--postgres URL] [--json PATH]

Target: the store adds at most 25% to the crawl's wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from _common import machine, replica_process, timed, write_figures
from scrapy.exporters import JsonLinesItemExporter

from mizan_crawler.replica import Corpus
from mizan_crawler.store import open_store

BATCH = 100  # the store pipeline's default MIZAN_STORE_BATCH
ROUNDS = 2
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def iter_records(count: int) -> Iterator[dict[str, Any]]:
    """``count`` replica records as the store takes them, one at a time."""
    corpus = Corpus(count, seed=3)
    for article in corpus:
        row = corpus.expected_record(article, "https://www.mizanonline.ir")
        row.update(
            published_at_jalali="1403-03-12 08:00",
            published_at_raw="۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰",
            crawled_at="2026-01-01T00:00:00+00:00",
            content_hash=f"{article.news_code:064d}",
        )
        yield row


def records(count: int) -> list[dict[str, Any]]:
    return list(iter_records(count))


def rate_jsonl(rows: list[dict[str, Any]], folder: Path) -> float:
    started = time.perf_counter()
    with (folder / "bench.jsonl").open("wb") as handle:
        exporter = JsonLinesItemExporter(handle, encoding="utf-8")
        exporter.start_exporting()
        for row in rows:
            exporter.export_item(row)
        exporter.finish_exporting()
    return len(rows) / (time.perf_counter() - started)


def rate_store(rows: list[dict[str, Any]], url: str) -> float:
    with open_store(url) as store:
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            store.write(rows[start : start + BATCH])
        return len(rows) / (time.perf_counter() - started)


@contextlib.contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    name = f"mizan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def crawl_times(count: int, folder: Path, rounds: int = ROUNDS) -> tuple[float, float]:
    """Wall seconds of the same crawl with JSONL only, then with JSONL and the SQLite store."""
    with replica_process(count) as base:
        corpus = Corpus(count, seed=1)
        url_file = folder / "urls.txt"
        url_file.write_text(
            "\n".join(f"{base}/fa/news/{a.news_code}" for a in corpus if not a.withdrawn)
        )
        command = [sys.executable, "-m", "mizan_crawler", "crawl", "article", "-a", f"url_file={url_file}",
                   "-O", "items.jsonl", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                   "-s", "LOG_LEVEL=WARNING", "-s", "ROBOTSTXT_OBEY=False", "-s", "AUTOTHROTTLE_ENABLED=False"]  # fmt: skip
        env = {"MIZAN_BASE_URL": base}
        timed(command, {**env, "DATABASE_URL": ""}, str(folder))  # warm-up: caches, bytecode
        plain, stored = [], []
        for round_number in range(rounds):  # interleaved, so drift hits both alike
            plain.append(timed(command, {**env, "DATABASE_URL": ""}, str(folder)))
            store_url = f"sqlite:///{folder / f'crawl-{round_number}.sqlite'}"
            stored.append(timed(command, {**env, "DATABASE_URL": store_url}, str(folder)))
    return min(plain), min(stored)


def postgres_figures(rows: list[dict[str, Any]], admin_url: str) -> dict[str, Any]:
    """The PostgreSQL store's rate and server version, or why it was not measured."""
    try:
        with psycopg.connect(admin_url, connect_timeout=5) as connection:
            server = connection.info.server_version
        with scratch_postgres(admin_url) as pg_url:
            return {"rate": rate_store(rows, pg_url), "version": f"{server // 10000}"}
    except psycopg.Error as error:  # no server, no rights: the row says so
        return {"not_measured": " ".join(str(error).split()) or type(error).__name__}


def measure(
    items: int = 5000, crawl: int = 2000, postgres: str = ADMIN_URL, rounds: int = ROUNDS
) -> dict[str, Any]:
    """Write rates of the JSONL exporter and the stores, then crawl times without and with SQLite."""
    rows = records(items)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        writes = {
            "jsonl_rate": rate_jsonl(rows, folder),
            "sqlite_rate": rate_store(rows, f"sqlite:///{folder / 'bench.sqlite'}"),
            "postgres": postgres_figures(rows, postgres),
        }
        plain, stored = crawl_times(crawl, folder, rounds)
    crawled = {
        "articles": crawl,
        "rounds": rounds,
        "plain_seconds": plain,
        "stored_seconds": stored,
        "ratio": stored / plain,
    }
    return {"items": len(rows), "batch": BATCH, **writes, "crawl": crawled}


def summary(figures: dict[str, Any]) -> str:
    jsonl, sqlite, postgres = figures["jsonl_rate"], figures["sqlite_rate"], figures["postgres"]
    crawl = figures["crawl"]
    out = [
        f"bench/store.py ({machine()})",
        f"  writes of {figures['items']} records (batches of {figures['batch']}):",
        f"    JSONL feed exporter : {jsonl:9.0f} items/s  (baseline)",
        f"    SQLite store        : {sqlite:9.0f} items/s  ({sqlite / jsonl:.2f}x JSONL)",
        f"    PostgreSQL store    : {postgres['rate']:9.0f} items/s  ({postgres['rate'] / jsonl:.2f}x JSONL)"
        if "rate" in postgres
        else f"    PostgreSQL store    : not measured ({postgres['not_measured']})",
        f"  full-speed crawl of {crawl['articles']} replica articles (article spider, JSONL feed on, best of {crawl['rounds']}):",
        f"    without store       : {crawl['plain_seconds']:7.2f} s  (baseline)",
        f"    with SQLite store   : {crawl['stored_seconds']:7.2f} s  ({crawl['ratio']:.2f}x, target <= 1.25x)",
    ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--crawl", type=int, default=2000, help="replica articles to crawl")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved crawl rounds")
    parser.add_argument("--postgres", default=ADMIN_URL)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.items, args.crawl, args.postgres, args.rounds)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
