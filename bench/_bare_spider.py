"""The baseline for bench/crawl.py: a bare Scrapy spider that fetches the given URLs and does
nothing else (no parsing, no pipelines). Run with ``scrapy runspider`` outside the project."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url_file: str, stats_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = Path(url_file).read_text().split()
        self.stats_file = stats_file

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Like the project's backfill, which schedules articles from a sitemap callback (Scrapy
        # feeds callback requests faster than start requests), schedule them from one callback.
        yield scrapy.Request(self.urls[0], callback=self.schedule, dont_filter=True)

    def schedule(self, response: Response) -> Iterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response) -> None:
        """Fetched; nothing more."""

    def closed(self, reason: str) -> None:
        Path(self.stats_file).write_text(json.dumps(self.crawler.stats.get_stats(), default=str))
