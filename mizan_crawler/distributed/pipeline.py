"""``SharedStorePipeline``: the store pipeline of a distributed crawl, which tells the worker when
articles are safely in the store, so the requests behind them need no fetching should it die."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.crawler import Crawler

from ..pipelines.store import StorePipeline
from .signals import articles_stored, store_flush


class SharedStorePipeline(StorePipeline):
    """Replaces ``StorePipeline`` (same place in ``ITEM_PIPELINES``) when ``MIZAN_REDIS_URL`` is set."""

    closed = False
    writing: asyncio.Task[None] | None = None  # the write ``durable`` asked for

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedStorePipeline:
        pipeline = super().from_crawler(crawler)
        assert isinstance(pipeline, SharedStorePipeline)
        crawler.signals.connect(pipeline.durable, signal=store_flush)
        return pipeline

    def _stored(self, batch: list[dict[str, Any]]) -> None:
        codes = [record.get("news_code") for record in batch]
        if codes:  # written (a batch the store refused went to the spool)
            self.crawler.signals.send_catch_log(signal=articles_stored, codes=codes)

    async def close_spider(self) -> None:
        await super().close_spider()
        self.closed = True

    def durable(self) -> bool:
        """Whether every item so far is in the store (none buffered, spooled or being written).

        The worker asks when it is idle, on the reactor thread, and cannot wait: what is held
        (buffered items, spooled ones, what the run learnt) is written in the background and the
        worker asks again at its next heartbeat. What the run learnt is not an item and does not
        change the answer (a backfill marks its coverage again at every idle moment). Once the
        pipeline is closed it only answers."""
        busy = self.writing is not None and not self.writing.done()
        durable = not self.buffer and not self.outage and not busy and not self.lock.locked()
        held = self.buffer or self.outage or self.knowledge.has_pending()
        if not self.closed and held and not busy:
            self.writing = asyncio.get_running_loop().create_task(self.flush())
        return durable
