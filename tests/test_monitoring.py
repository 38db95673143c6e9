"""Monitoring: the generated schema, the summary, exit statuses, and crawls whose template broke."""

from __future__ import annotations

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline

from mizan_crawler.items import ARTICLE_FIELDS
from mizan_crawler.monitoring.coverage import undated_items
from mizan_crawler.monitoring.status import MONITOR_FAILED, OK, STOPPED, exit_status
from mizan_crawler.monitoring.summary import summary_lines
from mizan_crawler.pipelines.validate import SchemaValidation, compile_schema
from mizan_crawler.replica import ReplicaServer
from mizan_crawler.schema import ARTICLE_SCHEMA

from .crawling import run_crawl
from .records import record


def test_schema_is_generated_from_the_item_class() -> None:
    assert list(ARTICLE_SCHEMA["properties"]) == list(ARTICLE_FIELDS)
    assert set(ARTICLE_SCHEMA["required"]) == {
        "news_code", "url", "title", "body", "published_at", "published_at_jalali",
        "published_at_raw", "kind", "crawled_at", "content_hash",
    }  # fmt: skip
    assert ARTICLE_SCHEMA["properties"]["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "tag labels in page order",
    }
    assert ARTICLE_SCHEMA["properties"]["uptitle"]["type"] == ["string", "null"]


def _errors(data: dict[str, object]) -> list[str]:
    validator = jsonschema.Draft202012Validator(ARTICLE_SCHEMA)
    return [error.message for error in validator.iter_errors(data)]


def test_schema_accepts_a_good_record_and_names_bad_fields() -> None:
    good = record(4776124, content_hash="a" * 64)
    assert _errors(good) == []
    assert _errors({**good, "published_at": None, "published_at_jalali": None}) == []
    assert _errors({**good, "news_code": "4776124"})
    assert _errors({**good, "kind": "podcast"})
    assert _errors({**good, "published_at": "1403-03-12 08:00"})
    assert _errors({**good, "modified_at": "2024-06-02T09:15:00.250+03:30"}) == []
    assert _errors({**good, "modified_at": "2024-06-02 09:15"})
    assert _errors({**good, "extra": 1})


_COMPILED = compile_schema(ARTICLE_SCHEMA)


def _compiled_accepts(data: dict[str, object]) -> bool:
    try:
        _COMPILED(data)
    except Exception:  # fastjsonschema's JsonSchemaValueException
        return False
    return True


# Values a field may be given: right and wrong types, and strings near each field's pattern.
_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=10**8),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["news", "podcast", "fa", "mizanonline.ir", "a" * 64, "A" * 64, "",
                     "2024-06-01T08:00:00+03:30", "2024-06-01T08:00:00Z", "1403-03-12 08:00",
                     "https://www.mizanonline.ir/fa/news/1", "http://x/fa/news/1/a b"]),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(changes=st.dictionaries(st.sampled_from([*ARTICLE_FIELDS, "extra"]), _VALUES, max_size=4))
def test_the_compiled_schema_agrees_with_jsonschema(changes: dict[str, object]) -> None:
    data = {**record(4776124, content_hash="a" * 64), **changes}
    assert _compiled_accepts(data) == (_errors(data) == []), data


def _validation_stats(pipeline_class: type) -> dict[str, object]:
    crawler = get_crawler(settings_dict={"SPIDERMON_ENABLED": True, "SPIDERMON_VALIDATION_SCHEMAS": ["mizan_crawler.schema.ARTICLE_SCHEMA"]})  # fmt: skip
    crawler.stats.open_spider()
    pipeline = pipeline_class.from_crawler(crawler)
    good = record(4776124, content_hash="a" * 64)
    assert pipeline.process_item(dict(good)) == good
    pipeline.process_item({**good, "kind": "podcast", "news_code": "x"})
    pipeline.process_item({**good, "title": None, "extra": 1})
    return crawler.stats.get_stats()


def test_the_validation_pipeline_counts_errors_as_spidermon_does() -> None:
    ours = _validation_stats(SchemaValidation)
    assert ours == _validation_stats(ItemValidationPipeline)
    assert ours["spidermon/validation/items"] == 3
    assert ours["spidermon/validation/items/errors"] == 2
    assert ours["spidermon/validation/fields/errors"] == 4
    assert [key for key in ours if key.endswith("/kind")], ours


@pytest.mark.parametrize(
    ("stats", "status"),
    [
        ({"finish_reason": "finished"}, OK),
        ({"finish_reason": "finished", "mizan/monitors/failed": 2}, MONITOR_FAILED),
        ({"finish_reason": "store_unavailable"}, STOPPED),
        ({"finish_reason": "site_refusing", "mizan/monitors/failed": 1}, MONITOR_FAILED),
    ],
)
def test_exit_status(stats: dict[str, object], status: int) -> None:
    assert exit_status(stats) == status


def test_summary_lines() -> None:
    stats = {
        "finish_reason": "finished",
        "elapsed_time_seconds": 120.0,
        "item_scraped_count": 40,
        "mizan/store/new": 30,
        "mizan/store/updated": 4,
        "mizan/store/unchanged": 6,
        "mizan/dropped/missing_published_at": 2,
        "mizan/skipped/http_404": 3,
        "mizan/failed/TimeoutError": 1,
        "log_count/ERROR": 1,
        "downloader/response_count": 50,
        "retry/count": 5,
    }
    text = "\n".join(summary_lines(stats))
    assert "40 articles; store: new 30, updated 4, unchanged 6" in text
    assert "dropped: missing_published_at 2" in text
    assert "not articles: http_404 3" in text
    assert "mizan/failed/TimeoutError 1" in text
    assert "pages fetched 50 (25/min), retries 5" in text


def _articles(replica: ReplicaServer, count: int) -> list[int]:
    # Pages without the article:published_time meta tag, so the printed date is the only one.
    found = [
        a for a in replica.corpus if not a.withdrawn and a.kind == "news" and not a.with_meta_date
    ]
    return [a.news_code for a in found[-count:]]


def test_a_healthy_crawl_passes_its_monitors(replica: ReplicaServer, tmp_path) -> None:
    codes = _articles(replica, 8)
    result = run_crawl("article", replica.base_url, tmp_path, "urls=" + ",".join(map(str, codes)))
    assert result.returncode == OK, result.log
    assert "Monitor failed" not in result.log
    assert "Crawl summary (finished" in result.log


def test_summary_counts_articles_without_a_readable_date() -> None:
    stats = {
        "item_scraped_count": 5,
        "mizan/coverage/news/items": 4,
        "mizan/coverage/news/published_at": 2,
        "mizan/coverage/photo/items": 1,
        "mizan/coverage/photo/published_at": 0,
    }
    assert undated_items(stats) == 3
    assert "  without a readable date: 3 articles, kept with published_at null" in "\n".join(
        summary_lines(stats)
    )
    dated = {**stats, "mizan/coverage/news/published_at": 4, "mizan/coverage/photo/published_at": 1}
    assert undated_items(dated) == 0
    assert "readable date" not in "\n".join(summary_lines(dated))


# A renamed date element is tested in test_date_crawls.py: those articles are kept, undated.
@pytest.mark.parametrize(("part", "field"), [("body", "body")])
def test_a_broken_template_fails_the_crawl_naming_the_field(
    replica: ReplicaServer, tmp_path, part: str, field: str
) -> None:
    with ReplicaServer(replica.corpus, broken=(part,)) as broken:
        codes = _articles(broken, 6)
        result = run_crawl(
            "article", broken.base_url, tmp_path, "urls=" + ",".join(map(str, codes))
        )
    assert result.returncode == MONITOR_FAILED
    failures = [
        line for line in result.log.splitlines() if "Monitor failed: Field coverage" in line
    ]
    assert failures and f"field {field}: on 0 of 6 news items" in failures[0]
    assert result.stats.get("mizan/store/new", 0) == 0
