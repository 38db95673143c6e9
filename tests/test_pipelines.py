"""The pipelines one by one: validate (schema and rules), deduplicate, store (with its spool).

Text is cleaned once, by the article loader as the page is parsed (tests/test_pages.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline

from mizan_crawler.pipelines.dedupe import DeduplicatePipeline
from mizan_crawler.pipelines.store import StorePipeline
from mizan_crawler.pipelines.validate import ValidatePipeline, invalid_reason
from mizan_crawler.store import open_store

from .records import record


def _crawler(**settings: object) -> Crawler:
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()
    return crawler


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, None),
        ({"title": ""}, "missing_title"),
        # Undated: kept, with the printed text (the page problem was logged and counted).
        ({"published_at": None, "published_at_jalali": None}, None),
        ({"published_at": None, "published_at_jalali": None, "published_at_raw": None}, None),
        ({"url": None}, "missing_url"),
        ({"body": ""}, "missing_body"),
        ({"body": "", "kind": "photo"}, None),
    ],
)
def test_invalid_reason(changes: dict[str, object], reason: str | None) -> None:
    assert invalid_reason(record(1, **changes)) == reason


def test_validate_drops_counts_and_names_the_reason() -> None:
    crawler = _crawler()
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="missing_title"):
        pipeline.process_item(record(1, title=""))
    assert crawler.stats.get_value("mizan/dropped/missing_title") == 1
    assert pipeline.process_item(record(2))["news_code"] == 2


def test_validate_keeps_an_undated_article_with_its_printed_text() -> None:
    crawler = _crawler()
    undated = record(3, published_at=None, published_at_jalali=None, published_at_raw="دیروز")
    assert ValidatePipeline.from_crawler(crawler).process_item(undated) == undated
    assert not [key for key in crawler.stats.get_stats() if key.startswith("mizan/dropped/")]


def _schema_crawler() -> Crawler:
    schemas = ["mizan_crawler.schema.ARTICLE_SCHEMA"]
    return _crawler(SPIDERMON_ENABLED=True, SPIDERMON_VALIDATION_SCHEMAS=schemas)


def _spidermon_stats(crawler: Crawler) -> dict[str, object]:
    stats = crawler.stats.get_stats()
    return {key: value for key, value in stats.items() if key.startswith("spidermon/")}


def test_validate_checks_the_schema_as_spidermon_does_then_the_rules() -> None:
    ours, theirs = _schema_crawler(), _schema_crawler()
    pipeline = ValidatePipeline.from_crawler(ours)
    spidermon = ItemValidationPipeline.from_crawler(theirs)
    good = record(1)
    off_schema = record(2, kind="podcast")  # counted for the monitor, not dropped
    untitled = record(3, title="")  # off the schema and against the rules: counted, dropped
    assert pipeline.process_item(dict(good)) == good
    assert pipeline.process_item(dict(off_schema)) == off_schema
    with pytest.raises(DropItem, match="missing_title"):
        pipeline.process_item(dict(untitled))
    for item in (good, off_schema, untitled):
        spidermon.process_item(dict(item))
    assert _spidermon_stats(ours) == _spidermon_stats(theirs)
    assert ours.stats.get_value("spidermon/validation/items") == 3
    assert ours.stats.get_value("spidermon/validation/items/errors") == 2
    assert ours.stats.get_value("mizan/dropped/missing_title") == 1


def test_validate_applies_the_rules_without_a_schema() -> None:
    crawler = _crawler(SPIDERMON_ENABLED=True)  # no SPIDERMON_VALIDATION_SCHEMAS
    with pytest.raises(DropItem, match="missing_url"):
        ValidatePipeline.from_crawler(crawler).process_item(record(1, url=None))
    assert crawler.stats.get_value("mizan/dropped/missing_url") == 1


def test_deduplicate_within_a_run() -> None:
    crawler = _crawler()
    pipeline = DeduplicatePipeline.from_crawler(crawler)
    pipeline.process_item(record(1))
    with pytest.raises(DropItem, match="duplicate news_code 1"):
        pipeline.process_item(record(1))
    pipeline.process_item(record(2))
    assert crawler.stats.get_value("mizan/dropped/duplicate") == 1


@contextmanager
def refusing_connections(pg_url: str) -> Iterator[None]:
    """The database of ``pg_url`` drops its connections and refuses new ones, until the end."""
    name = pg_url.rsplit("/", 1)[1]
    admin_url = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def _store_pipeline(tmp_path: Path, database_url: str, **settings: object) -> StorePipeline:
    crawler = _crawler(
        DATABASE_URL=database_url, MIZAN_SPOOL_DIR=str(tmp_path / "spool"), **settings
    )
    return StorePipeline.from_crawler(crawler)


def test_store_pipeline_batches_and_counts(tmp_path: Path, database_url: str) -> None:
    pipeline = _store_pipeline(tmp_path, database_url, MIZAN_STORE_BATCH=3)

    async def crawl() -> None:
        await pipeline.open_spider()
        for code in range(1, 8):
            await pipeline.process_item(record(code))
        with open_store(database_url) as store:
            assert store.known_codes() == set(range(1, 7))  # two full batches so far
        await pipeline.close_spider()

    asyncio.run(crawl())
    with open_store(database_url) as store:
        assert store.known_codes() == set(range(1, 8))
    assert pipeline.stats.get_value("mizan/store/new") == 7


def test_store_pipeline_writes_in_its_own_thread_one_batch_at_a_time(
    tmp_path: Path, database_url: str
) -> None:
    """Items arriving together (as from pages parsed at once) make batches that are written in
    turn, never two at once, and never on the thread that runs the crawl."""
    pipeline = _store_pipeline(tmp_path, database_url, MIZAN_STORE_BATCH=2)
    threads: set[str] = set()
    at_once = [0, 0]  # writes running now, most ever
    flush = pipeline.writer.flush

    def watched(*args: Any) -> Any:
        threads.add(threading.current_thread().name)
        at_once[0] += 1
        at_once[1] = max(at_once)
        try:
            return flush(*args)
        finally:
            at_once[0] -= 1

    pipeline.writer.flush = watched  # type: ignore[method-assign]

    async def crawl() -> None:
        await pipeline.open_spider()
        await asyncio.gather(*(pipeline.process_item(record(code)) for code in range(1, 21)))
        await pipeline.close_spider()

    asyncio.run(crawl())
    assert at_once[1] == 1
    assert threads and all(name.startswith("mizan-store") for name in threads), threads
    with open_store(database_url) as store:
        assert store.known_codes() == set(range(1, 21))
    assert pipeline.stats.get_value("mizan/store/new") == 20


def test_store_pipeline_rejects_one_bad_value_and_keeps_the_rest(
    tmp_path: Path, pg_url: str
) -> None:
    pipeline = _store_pipeline(tmp_path, pg_url, MIZAN_STORE_BATCH=10)

    async def crawl() -> None:
        await pipeline.open_spider()
        await pipeline.process_item(record(1))
        await pipeline.process_item(record(2, title="NUL \x00 inside"))  # PostgreSQL refuses NUL
        await pipeline.process_item(record(3))
        await pipeline.close_spider()

    asyncio.run(crawl())
    with open_store(pg_url) as store:
        assert store.known_codes() == {1, 3}
    assert pipeline.stats.get_value("mizan/store/rejected") == 1


def test_store_outage_spools_and_the_next_run_writes_it(tmp_path: Path, pg_url: str) -> None:
    pipeline = _store_pipeline(
        tmp_path, pg_url, MIZAN_STORE_BATCH=2, MIZAN_STORE_CLOSE_RETRY_SECONDS=0.1
    )

    async def crawl() -> None:
        await pipeline.open_spider()
        await pipeline.process_item(record(1))
        await pipeline.process_item(record(2))
        with refusing_connections(pg_url):
            for code in range(3, 8):
                await pipeline.process_item(record(code))
            await pipeline.close_spider()

    asyncio.run(crawl())
    assert pipeline.stats.get_value("mizan/store/spooled") == 5
    assert len(pipeline.spool) == 5
    with open_store(pg_url) as store:
        assert store.known_codes() == {1, 2}
    following = _store_pipeline(tmp_path, pg_url)

    async def next_run() -> None:
        await following.open_spider()
        await following.close_spider()

    asyncio.run(next_run())
    with open_store(pg_url) as store:
        assert store.known_codes() == set(range(1, 8))
    assert following.stats.get_value("mizan/store/replayed") == 5
    assert not following.spool.pending()
    assert not list((tmp_path / "spool").glob("*.jsonl"))


def test_store_pipeline_is_off_with_an_empty_database_url() -> None:
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(_crawler(DATABASE_URL=""))


def test_two_crawls_on_one_machine_with_the_store_down_then_up(tmp_path: Path, pg_url: str) -> None:
    """The compose scheduler and a backfill share one data folder: neither loses the other's
    spooled items, and each says exactly what it left."""
    quick = {"MIZAN_STORE_BATCH": 2, "MIZAN_STORE_CLOSE_RETRY_SECONDS": 0.05}
    scheduler, backfill = (_store_pipeline(tmp_path, pg_url, **quick) for _ in range(2))

    async def crawls() -> None:
        await scheduler.open_spider()
        await backfill.open_spider()
        with refusing_connections(pg_url):
            for code in range(1, 5):
                await scheduler.process_item(record(code))
                await backfill.process_item(record(10 + code))
            await scheduler.close_spider()  # ends while the store is still away
        assert scheduler.stats.get_value("mizan/store/spool_left") == 4  # its own only
        await backfill.process_item(record(15))
        await backfill.close_spider()

    asyncio.run(crawls())
    with open_store(pg_url) as store:
        assert store.known_codes() == {1, 2, 3, 4, 11, 12, 13, 14, 15}
        assert store.count_revisions() == 0
    assert backfill.stats.get_value("mizan/store/spool_left") == 0
    assert backfill.stats.get_value("mizan/store/replayed") == 8
    assert not list((tmp_path / "spool").glob("*.jsonl"))
