"""Write items to the store in batched transactions; spool them locally while it is away.

The writing itself runs in one thread of its own (``StoreWriter``), so a database that is slow
or stops answering holds only the items waiting for it: downloads, parsing, heartbeats and
signals go on on the reactor thread, where everything else this pipeline does stays.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from ..items import Article
from ..knowledge import SiteKnowledge
from ..store import StoreConfigError, parse_database_url
from ..store.spool import Spool
from .store_writer import WRITE_ATTEMPTS, Outcome, StoreWriter

logger = logging.getLogger(__name__)
T = TypeVar("T")


def record_of(item: Any) -> dict[str, Any]:
    """The item's fields as a plain dict; an ``Article`` directly (``asdict`` walks every value)."""
    return dict(vars(item)) if isinstance(item, Article) else ItemAdapter(item).asdict()


class StorePipeline:
    """Upserts by news code. Disabled when ``DATABASE_URL`` is empty.

    A batch the store refuses because it is unreachable, unwritable or silent for
    ``MIZAN_STORE_TIMEOUT`` goes to the spool file and is written, before anything newer, as soon
    as the store answers again (in this run or the next). Stats:
    ``mizan/store/new|updated|unchanged|older|rejected|spooled|replayed|reconnects|conflicts``.

    What the run learnt of the site (coverage marks, resolved short links; see ``SiteKnowledge``)
    is written in the same transaction as the batch after the articles it vouches for, never on
    its own before them. While the store is away it is held in memory only: lost with the run,
    it costs the next run a second reading, never a hole.

    Writes happen one at a time, in order (one lock, one thread); an item that makes a batch due
    waits for its write, so a store slower than the crawl slows the crawl instead of filling the
    memory, and one that stops answering holds it for the timeout, then not at all (spooled).
    """

    def __init__(self, crawler: Crawler, database_url: str, spool_dir: Path) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        try:
            self.url = parse_database_url(database_url)
        except StoreConfigError as error:
            raise ValueError(str(error)) from None
        settings = crawler.settings
        self.batch_size = settings.getint("MIZAN_STORE_BATCH", 100)
        self.flush_seconds = settings.getfloat("MIZAN_STORE_FLUSH_SECONDS", 5.0)
        self.close_retry_seconds = settings.getfloat("MIZAN_STORE_CLOSE_RETRY_SECONDS", 2.0)
        timeout = settings.getfloat("MIZAN_STORE_TIMEOUT", 20.0)
        self.spool = Spool(spool_dir, self.url.redacted)
        self.writer = StoreWriter(database_url, self.url, self.spool, self.batch_size, timeout)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mizan-store")
        self.lock = asyncio.Lock()  # one write at a time, in the order asked
        self.buffer: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()
        self.outage = False  # batches are going to the spool
        self.reconnecting = False  # the last write lost its connection
        self.stopping = False
        self.knowledge = SiteKnowledge.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        database_url = crawler.settings.get("DATABASE_URL")
        if not database_url:
            raise NotConfigured("DATABASE_URL is empty: no store")
        return cls(
            crawler, database_url, Path(crawler.settings.get("MIZAN_SPOOL_DIR", "data/spool"))
        )

    async def open_spider(self) -> None:
        for attempt in range(WRITE_ATTEMPTS):
            outcome = await self._in_thread(self.writer.open)
            self._count(outcome)
            if outcome.error is None:
                logger.info("Storing articles in %s", self.url.redacted)
                return
            if attempt == WRITE_ATTEMPTS - 1:
                # Scrapy's way for a component that cannot start: the rest of the start-up runs
                # (every component opened is closed again), then the spider closes unstarted.
                self.stopping = True
                logger.critical("%s; nothing was fetched: stopping the crawl", outcome.error)
                raise CloseSpider("store_unavailable")
            await asyncio.sleep(self.close_retry_seconds)

    async def process_item(self, item: Any) -> Any:
        self.buffer.append(record_of(item))
        if self._due():
            async with self.lock:
                if self._due():  # not written by the flush this item waited for
                    await self._flush()
        return item

    async def close_spider(self) -> None:
        async with self.lock:
            await self._flush()
            if self.knowledge.has_pending():
                logger.warning(
                    "What this run read could not be recorded in the coverage ledger (store %s "
                    "unavailable): the next run reads it again",
                    self.url.redacted,
                )
            if not self.buffer and await self._in_thread(self.writer.spool_pending):
                await self._last_replay()
            self._report_unkept()
            left, others = await self._in_thread(self.writer.finish)
        self.thread.shutdown(wait=False)
        self._report_spool(left, others)
        self.stats.set_value("mizan/store/spool_left", left)

    async def flush(self) -> None:
        """Write the buffered items (after any spooled ones), or spool them."""
        async with self.lock:
            await self._flush()

    def _due(self) -> bool:
        return (
            len(self.buffer) >= self.batch_size
            or time.monotonic() - self.last_flush >= self.flush_seconds
        )

    async def _flush(self) -> None:
        """``flush`` with the lock held."""
        batch, self.buffer = self.buffer, []
        if not batch and not self.knowledge.has_pending() and not self.outage:
            self.last_flush = time.monotonic()
            return
        marks, links, observed = self.knowledge.take_pending()
        outcome = await self._in_thread(self.writer.flush, batch, marks, links, observed)
        self.last_flush = time.monotonic()
        self._count(outcome)
        if outcome.lost and not self.reconnecting and not self.outage:
            logger.warning("%s; reconnecting", outcome.lost[0])
            self.reconnecting = True
        if outcome.error is None:
            self.reconnecting = False
            self._back()
            self._stored(batch)
            return
        self.knowledge.give_back(marks, links, observed)
        if outcome.spool_error is not None:
            self.buffer[:0] = batch  # held in memory, tried again at the next flush
            self._stop(
                f"neither the store nor the spool {self.spool.path} can be written "
                f"({outcome.spool_error})"
            )
        elif batch and not self.outage:  # a loss only if still spooled at the end (an error then)
            logger.warning(
                "%s; spooling items to %s until it is back", outcome.error, self.spool.path
            )
            self.outage = True

    def _stored(self, batch: list[dict[str, Any]]) -> None:
        """``batch`` is in the store (a hook for the distributed pipeline)."""

    def _back(self) -> None:
        if self.outage:
            logger.info("Store %s is back; spooled items written", self.url.redacted)
            self.outage = False

    async def _last_replay(self) -> None:
        """Before giving spooled items to the next run, give the store a few more chances."""
        for _ in range(WRITE_ATTEMPTS):
            await asyncio.sleep(self.close_retry_seconds)
            outcome = await self._in_thread(self.writer.replay)
            self._count(outcome)
            if outcome.error is None:
                self._back()
                return

    def _report_unkept(self) -> None:
        if self.buffer:
            codes = ", ".join(str(record.get("news_code")) for record in self.buffer)
            logger.critical(
                "%d items could not be kept anywhere: news codes %s (not being in the store, "
                "they are fetched again by the next crawl)",
                len(self.buffer),
                codes,
            )

    def _report_spool(self, left: int, others: int) -> None:
        if left:
            logger.error(
                "%d items could not be stored in %s and are kept in %s; the next crawl with the "
                "same DATABASE_URL writes them first",
                left,
                self.url.redacted,
                self.spool.path,
            )
        if others:
            logger.warning(
                "%d items of other crawls of %s wait in %s (written by the first crawl to reach "
                "the store once they have ended)",
                others,
                self.url.redacted,
                self.spool.directory,
            )

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` in the store thread; the reactor goes on meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.thread, function, *args)

    def _stop(self, why: str) -> None:
        if not self.stopping:
            self.stopping = True
            logger.critical("%s: stopping the crawl", why)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_unavailable"))

    def _count(self, outcome: Outcome) -> None:
        for name, number in outcome.counts.items():
            self.stats.inc_value(f"mizan/store/{name}", number)
        for message in outcome.rejections:
            logger.error("%s", message)
