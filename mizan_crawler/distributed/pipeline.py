"""``SharedStorePipeline``: the store pipeline of a distributed crawl, which tells the worker when
articles are safely in the store, so the requests behind them need no fetching should it die."""

from __future__ import annotations

from scrapy.crawler import Crawler

from ..pipelines.store import StorePipeline
from .signals import articles_stored, store_flush


class SharedStorePipeline(StorePipeline):
    """Replaces ``StorePipeline`` (same place in ``ITEM_PIPELINES``) when ``MIZAN_REDIS_URL`` is set."""

    closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedStorePipeline:
        pipeline = super().from_crawler(crawler)
        assert isinstance(pipeline, SharedStorePipeline)
        crawler.signals.connect(pipeline.durable, signal=store_flush)
        return pipeline

    def flush(self) -> None:
        codes = [record.get("news_code") for record in self.buffer]
        super().flush()
        if codes and not self.outage:  # written (a batch the store refused went to the spool)
            self.crawler.signals.send_catch_log(signal=articles_stored, codes=codes)

    def close_spider(self) -> None:
        super().close_spider()
        self.closed = True

    def durable(self) -> bool:
        """Write what is buffered; whether every item so far is in the store (none buffered, none
        spooled). Once the pipeline is closed it only answers."""
        if not self.closed:
            self.flush()
        return not self.buffer and not self.outage and not self.spool.pending()
