"""``DiscoveryTurn``: in a shared crawl, one worker at a time runs the spider's ``start()``.

The first worker to take the discovery lock runs ``start()`` (a backfill's sitemap walk, ``news``'s
feed and listings) and everything that follows from it in its own process; the others skip it and
fetch what it queues. While discovery is not done they wait here (which keeps them open and
fetching), and if the discovering worker dies, its lock expires and one of them takes over and
discovers again: articles already queued or fetched are filtered out by the shared duplicate
filter, and stored ones are skipped by the spider as always.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from .worker import DistributedCrawl

logger = logging.getLogger(__name__)


class DiscoveryTurn:
    """Spider middleware wrapping ``start()``; enabled with the ``DistributedCrawl`` extension."""

    def __init__(self, crawler: Crawler, crawl: DistributedCrawl) -> None:
        self.crawler = crawler
        self.crawl = crawl

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiscoveryTurn:
        crawl = crawler.get_extension(DistributedCrawl)
        if crawl is None:
            raise NotConfigured
        return cls(crawler, crawl)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        if await self.my_turn():
            async for item_or_request in start:
                yield item_or_request

    async def my_turn(self) -> bool:
        """Wait until this worker holds the discovery lock (``True``) or discovery is done."""
        said_waiting = False
        while not self.crawl.failed:
            try:
                turn = self.crawl.coordinator.take_discovery()
            except redis.RedisError as error:
                self.crawl.fail(error)
                return False
            if turn == "mine":
                self.crawl.discovering = True
                self.crawler.stats.set_value("mizan/distributed/discovered", 1)
                logger.info("This worker discovers (runs the spider's start); others help fetch")
                return True
            if turn == "done":
                logger.info("Discovery is done; fetching from the shared queue")
                return False
            if not said_waiting:
                said_waiting = True
                logger.info("Another worker is discovering; fetching from the shared queue")
            await asyncio.sleep(self.crawl.tick)
        return False
