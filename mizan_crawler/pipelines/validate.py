"""Validation, in one pipeline: the record's JSON Schema, then the rules every stored record meets.

**Schema.** Every item is checked against ``SPIDERMON_VALIDATION_SCHEMAS`` (the schema generated
from the item class, ``schema.py``) by Spidermon's item validation, so its errors, their wording
and the ``spidermon/validation/...`` stats that the Item Validation Monitor reads are Spidermon's.
Spidermon builds a ``jsonschema`` validator per item; at crawl speed that cost more CPU than any of
our pipelines, so the schema is compiled once with ``fastjsonschema`` instead: a valid item (nearly
every one) costs a few microseconds, and only an item the compiled schema rejects is checked again
by Spidermon's own validator, for its messages. A schema error is counted, not dropped (Spidermon's
default): the monitor fails the crawl.

**Rules.** An item that misses what every record must have is dropped, saying why, and counted in
``mizan/dropped/<reason>``. ``published_at`` is not among them: an article whose date cannot be
read is kept, with ``published_at`` null and the printed text in ``published_at_raw`` (the page
problem is logged and counted, and the Field coverage monitor fails the crawl). Dropping it would
lose the article and, with it, the evidence of what the page printed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import fastjsonschema
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline, PassThroughPipeline
from spidermon.contrib.validation import JSONSchemaValidator

logger = logging.getLogger(__name__)

REQUIRED = ("news_code", "url", "title")
# The schema's keywords (type, pattern, enum, const, minimum, minLength, items, required,
# additionalProperties) mean the same in draft 7, the newest draft fastjsonschema knows.
DRAFT_7 = "http://json-schema.org/draft-07/schema#"


def compile_schema(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """A function that returns valid data and raises ``JsonSchemaValueException`` otherwise."""
    return fastjsonschema.compile({**schema, "$schema": DRAFT_7})


class CompiledSchemaValidator(JSONSchemaValidator):
    """Spidermon's JSON Schema validator, asked only about data the compiled schema rejects."""

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__(schema)
        self._check = compile_schema(schema)

    # Spidermon's private hook (no public one exists): tests/test_monitoring.py checks that the
    # stats and messages stay Spidermon's.
    def _validate(self, data: Any, strict: bool = False) -> None:
        try:
            self._check(data)
        except fastjsonschema.JsonSchemaValueException:
            super()._validate(data, strict)  # every error, in Spidermon's words


class SchemaValidation(ItemValidationPipeline):
    """Spidermon's item validation (its settings and stats) with the compiled schema: the schema
    half of ``ValidatePipeline``, not an ``ITEM_PIPELINES`` entry of its own."""

    @classmethod
    def _load_jsonschema_validator(cls, schema: Any) -> JSONSchemaValidator:
        loaded = super()._load_jsonschema_validator(schema)
        return CompiledSchemaValidator(loaded._schema)


def schema_validation(crawler: Crawler) -> Any:
    """The schema check of this crawl; one that lets every item by when Spidermon is off
    (``SPIDERMON_ENABLED``) or has no schema to check."""
    try:
        return SchemaValidation.from_crawler(crawler)
    except NotConfigured as exc:
        logger.warning("Schema validation disabled: %s", exc)
        return PassThroughPipeline()


def invalid_reason(item: Any) -> str | None:
    """Why ``item`` cannot be stored (a short stats key), or ``None`` when it is valid."""
    adapter = ItemAdapter(item)
    for name in REQUIRED:
        if adapter.get(name) in (None, ""):
            return f"missing_{name}"
    if adapter.get("kind") == "news" and not adapter.get("body"):
        return "missing_body"
    return None


class ValidatePipeline:
    """The schema check (counted, as Spidermon counts it), then the rules (dropping); counts
    drops in ``mizan/dropped/<reason>``."""

    def __init__(self, crawler: Crawler, schema: Any) -> None:
        self.stats = crawler.stats
        self.schema = schema

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler, schema_validation(crawler))

    def process_item(self, item: Any) -> Any:
        self.schema.process_item(item)
        reason = invalid_reason(item)
        if reason is None:
            return item
        self.stats.inc_value(f"mizan/dropped/{reason}")
        url = ItemAdapter(item).get("url")
        logger.warning("Dropped invalid item %s: %s", url, reason)
        raise DropItem(f"invalid item {url}: {reason}")
