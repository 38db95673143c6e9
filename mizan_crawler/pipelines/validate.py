"""Drop items that miss what every record must have, saying why.

``published_at`` is not among them: an article whose date cannot be read is kept, with
``published_at`` null and the printed text in ``published_at_raw`` (the page problem is logged
and counted, and the Field coverage monitor fails the crawl). Dropping it would lose the article
and, with it, the evidence of what the page printed.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

logger = logging.getLogger(__name__)

REQUIRED = ("news_code", "url", "title")


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
    """Counts drops in ``mizan/dropped/<reason>``."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        reason = invalid_reason(item)
        if reason is None:
            return item
        self.stats.inc_value(f"mizan/dropped/{reason}")
        url = ItemAdapter(item).get("url")
        logger.warning("Dropped invalid item %s: %s", url, reason)
        raise DropItem(f"invalid item {url}: {reason}")
