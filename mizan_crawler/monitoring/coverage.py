"""Count, per article kind, how many items the spiders produced and which fields they filled.

Counted as items leave the spider, before any pipeline can drop them, so a template change that
empties a field shows here even when validation then drops every item.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from ..items import Article

COVERED = ("news_code", "title", "published_at", "body", "lead", "uptitle", "tags", "service")


def coverage_key(kind: str, field: str | None = None) -> str:
    """The stats key of a kind's item count (``field=None``) or of one field's count."""
    return f"mizan/coverage/{kind}/{field or 'items'}"


def undated_items(stats: dict[str, Any]) -> int:
    """Items the spiders produced without a readable publication date (``published_at`` null)."""
    kinds = [key.split("/")[2] for key in stats if key.startswith("mizan/coverage/")]
    return sum(
        stats.get(coverage_key(kind), 0) - stats.get(coverage_key(kind, "published_at"), 0)
        for kind in set(kinds)
    )


class CoverageMiddleware(BaseSpiderMiddleware):
    """Spider middleware: ``mizan/coverage/<kind>/items`` and ``mizan/coverage/<kind>/<field>``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.stats = crawler.stats

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if isinstance(item, Article):
            adapter = ItemAdapter(item)
            kind = adapter.get("kind") or "unknown"
            self.stats.inc_value(coverage_key(kind))
            for field in COVERED:
                if adapter.get(field) not in (None, "", []):
                    self.stats.inc_value(coverage_key(kind, field))
        return item
