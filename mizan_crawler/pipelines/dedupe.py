"""Within one crawl, the first copy of a news code goes on; later copies are dropped and counted.

Across runs the store keeps one row per news code and turns re-crawls into updates, so nothing
is dropped here for having been stored before.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem


class DeduplicatePipeline:
    """Counts drops in ``mizan/dropped/duplicate``.

    A spider whose items are archived captures (``items_are_captures``: ``reparse``) yields each
    version of an article the archive holds, in the order they were fetched, for the store to
    keep as revisions: there only the same capture twice (one file given twice) is a duplicate.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: set[Hashable] = set()
        self.per_capture = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.per_capture = getattr(self.crawler.spider, "items_are_captures", False)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        code = adapter["news_code"]
        key = (code, adapter.get("archive_record")) if self.per_capture else code
        if key in self.seen:
            self.stats.inc_value("mizan/dropped/duplicate")
            raise DropItem(f"duplicate news_code {code}")
        self.seen.add(key)
        return item
