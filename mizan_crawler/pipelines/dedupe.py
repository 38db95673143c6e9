"""Within one crawl, the first copy of a news code goes on; later copies are dropped and counted.

Across runs the store keeps one row per news code and turns re-crawls into updates, so nothing
is dropped here for having been stored before.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem


class DeduplicatePipeline:
    """Counts drops in ``mizan/dropped/duplicate``."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        code = ItemAdapter(item)["news_code"]
        if code in self.seen:
            self.stats.inc_value("mizan/dropped/duplicate")
            raise DropItem(f"duplicate news_code {code}")
        self.seen.add(code)
        return item
