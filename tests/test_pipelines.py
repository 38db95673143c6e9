"""The pipelines one by one: normalise, validate, deduplicate, store (with its spool)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from mizan_crawler.items import Article
from mizan_crawler.pipelines.dedupe import DeduplicatePipeline
from mizan_crawler.pipelines.normalize import NormalizePipeline, normalize_body
from mizan_crawler.pipelines.store import StorePipeline
from mizan_crawler.pipelines.validate import ValidatePipeline, invalid_reason
from mizan_crawler.store import open_store

from .records import record


def _crawler(**settings: object) -> Crawler:
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()
    return crawler


def test_normalize_cleans_fields_and_is_idempotent() -> None:
    item = Article(**{**record(1), "title": " رئيس\u00a0قوه ", "body": "يک\n\n\n\n \u200f\n\nدو"})
    NormalizePipeline().process_item(item)
    assert item.title == "رئیس قوه"
    assert item.body == "یک\n\nدو"
    once = Article(**vars(item))
    NormalizePipeline().process_item(item)
    assert item == once


def test_normalize_body_keeps_zwnj() -> None:
    assert normalize_body("گفت\u200cوگو\n\nنخست\u200cوزیر") == "گفت\u200cوگو\n\nنخست\u200cوزیر"


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


def test_deduplicate_within_a_run() -> None:
    crawler = _crawler()
    pipeline = DeduplicatePipeline.from_crawler(crawler)
    pipeline.process_item(record(1))
    with pytest.raises(DropItem, match="duplicate news_code 1"):
        pipeline.process_item(record(1))
    pipeline.process_item(record(2))
    assert crawler.stats.get_value("mizan/dropped/duplicate") == 1


def _store_pipeline(tmp_path: Path, database_url: str, **settings: object) -> StorePipeline:
    crawler = _crawler(
        DATABASE_URL=database_url, MIZAN_SPOOL_DIR=str(tmp_path / "spool"), **settings
    )
    return StorePipeline.from_crawler(crawler)


def test_store_pipeline_batches_and_counts(tmp_path: Path, database_url: str) -> None:
    pipeline = _store_pipeline(tmp_path, database_url, MIZAN_STORE_BATCH=3)
    pipeline.open_spider()
    for code in range(1, 8):
        pipeline.process_item(record(code))
    with open_store(database_url) as store:
        assert store.known_codes() == set(range(1, 7))  # two full batches so far
    pipeline.close_spider()
    with open_store(database_url) as store:
        assert store.known_codes() == set(range(1, 8))
    assert pipeline.stats.get_value("mizan/store/new") == 7


def test_store_pipeline_rejects_one_bad_value_and_keeps_the_rest(
    tmp_path: Path, pg_url: str
) -> None:
    pipeline = _store_pipeline(tmp_path, pg_url, MIZAN_STORE_BATCH=10)
    pipeline.open_spider()
    pipeline.process_item(record(1))
    pipeline.process_item(record(2, title="NUL \x00 inside"))  # PostgreSQL text refuses NUL
    pipeline.process_item(record(3))
    pipeline.close_spider()
    with open_store(pg_url) as store:
        assert store.known_codes() == {1, 3}
    assert pipeline.stats.get_value("mizan/store/rejected") == 1


def test_store_outage_spools_and_the_next_run_writes_it(tmp_path: Path, pg_url: str) -> None:
    pipeline = _store_pipeline(
        tmp_path, pg_url, MIZAN_STORE_BATCH=2, MIZAN_STORE_CLOSE_RETRY_SECONDS=0.1
    )
    pipeline.open_spider()
    pipeline.process_item(record(1))
    pipeline.process_item(record(2))
    name = pg_url.rsplit("/", 1)[1]
    admin_url = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            for code in range(3, 8):
                pipeline.process_item(record(code))
            pipeline.close_spider()
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert pipeline.stats.get_value("mizan/store/spooled") == 5
    assert len(pipeline.spool) == 5
    with open_store(pg_url) as store:
        assert store.known_codes() == {1, 2}
    following = _store_pipeline(tmp_path, pg_url)
    following.open_spider()
    following.close_spider()
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
    scheduler.open_spider()
    backfill.open_spider()
    name = pg_url.rsplit("/", 1)[1]
    admin_url = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            for code in range(1, 5):
                scheduler.process_item(record(code))
                backfill.process_item(record(10 + code))
            scheduler.close_spider()  # ends while the store is still away
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert scheduler.stats.get_value("mizan/store/spool_left") == 4  # its own, not the other's
    backfill.process_item(record(15))
    backfill.close_spider()
    with open_store(pg_url) as store:
        assert store.known_codes() == {1, 2, 3, 4, 11, 12, 13, 14, 15}
        assert store.count_revisions() == 0
    assert backfill.stats.get_value("mizan/store/spool_left") == 0
    assert backfill.stats.get_value("mizan/store/replayed") == 8
    assert not list((tmp_path / "spool").glob("*.jsonl"))
