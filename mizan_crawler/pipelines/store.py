"""Write items to the store in batched transactions; spool them locally while it is away."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from ..items import Article
from ..knowledge import SiteKnowledge
from ..redaction import redact_text
from ..store import (
    CoverageMark,
    Store,
    StoreConfigError,
    StoreUnavailable,
    open_store,
    parse_database_url,
)
from ..store.observations import Observations
from ..store.spool import Spool

logger = logging.getLogger(__name__)


def record_of(item: Any) -> dict[str, Any]:
    """The item's fields as a plain dict; an ``Article`` directly (``asdict`` walks every value)."""
    return dict(vars(item)) if isinstance(item, Article) else ItemAdapter(item).asdict()


WRITE_ATTEMPTS = 3


class StorePipeline:
    """Upserts by news code. Disabled when ``DATABASE_URL`` is empty.

    A batch the store refuses because it is unreachable or unwritable goes to the spool file and
    is written, before anything newer, as soon as the store answers again (in this run or the
    next). Stats: ``mizan/store/new|updated|unchanged|older|rejected|spooled|replayed|reconnects``.

    What the run learnt of the site (coverage marks, resolved short links; see ``SiteKnowledge``)
    is written in the same transaction as the batch after the articles it vouches for, never on
    its own before them. While the store is away it is held in memory only: lost with the run,
    it costs the next run a second reading, never a hole.
    """

    def __init__(self, crawler: Crawler, database_url: str, spool_dir: Path) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.database_url = database_url
        try:
            self.url = parse_database_url(database_url)
        except StoreConfigError as error:
            raise ValueError(str(error)) from None
        settings = crawler.settings
        self.batch_size = settings.getint("MIZAN_STORE_BATCH", 100)
        self.flush_seconds = settings.getfloat("MIZAN_STORE_FLUSH_SECONDS", 5.0)
        self.close_retry_seconds = settings.getfloat("MIZAN_STORE_CLOSE_RETRY_SECONDS", 2.0)
        self.spool = Spool(spool_dir, self.url.redacted)
        self.store: Store | None = None
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

    def open_spider(self) -> None:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                self._connected()
                self._replay()
            except StoreUnavailable as error:
                self._disconnect()
                if attempt == WRITE_ATTEMPTS - 1:
                    self._stop(f"{error}; nothing was fetched")
                    return
                time.sleep(self.close_retry_seconds)
            else:
                logger.info("Storing articles in %s", self.url.redacted)
                return

    def process_item(self, item: Any) -> Any:
        self.buffer.append(record_of(item))
        if (
            len(self.buffer) >= self.batch_size
            or time.monotonic() - self.last_flush >= self.flush_seconds
        ):
            self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()
        if self.knowledge.has_pending():
            logger.warning(
                "What this run read could not be recorded in the coverage ledger (store %s "
                "unavailable): the next run reads it again",
                self.url.redacted,
            )
        if self.spool.pending() and not self.buffer:
            self._last_replay()
        if self.buffer:
            codes = ", ".join(str(record.get("news_code")) for record in self.buffer)
            logger.critical(
                "%d items could not be kept anywhere: news codes %s (not being in the store, "
                "they are fetched again by the next crawl)",
                len(self.buffer),
                codes,
            )
        left, others = len(self.spool), self.spool.others_waiting()
        self.spool.close()
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
        self.stats.set_value("mizan/store/spool_left", left)
        if self.store is not None:
            self.store.close()

    def flush(self) -> None:
        """Write the buffered items (after any spooled ones), or spool them."""
        batch, self.buffer = self.buffer, []
        self.last_flush = time.monotonic()
        if not batch and not self.knowledge.has_pending():
            return
        marks, links, observed = self.knowledge.take_pending()
        error = None
        for _ in range(WRITE_ATTEMPTS):  # a dropped connection is often back at once
            try:
                self._connected().write([])  # fail fast before touching the spool
                self._replay()
                self._write(batch, marks, links, observed)
                break
            except StoreUnavailable as outage:
                error = outage
                self._reconnecting(outage)
        else:
            assert error is not None
            self.knowledge.give_back(marks, links, observed)
            if batch:
                self._to_spool(batch, error)
            return
        self.reconnecting = False
        if self.outage:
            logger.info("Store %s is back; spooled items written", self.url.redacted)
            self.outage = False

    def _last_replay(self) -> None:
        """Before giving spooled items to the next run, give the store a few more chances."""
        for _ in range(WRITE_ATTEMPTS):
            time.sleep(self.close_retry_seconds)
            try:
                self._replay()
            except StoreUnavailable:
                self._disconnect()
            else:
                logger.info("Store %s is back; spooled items written", self.url.redacted)
                self.outage = False
                return

    def _reconnecting(self, error: StoreUnavailable) -> None:
        if not self.reconnecting and not self.outage:
            logger.warning("%s; reconnecting", error)
            self.reconnecting = True
        self.stats.inc_value("mizan/store/reconnects")
        self._disconnect()

    def _disconnect(self) -> None:
        if self.store is not None:
            self.store.close()

    def _connected(self) -> Store:
        if self.store is None or self.store.connection is None:
            self.store = open_store(self.database_url)
        return self.store

    def _write(
        self,
        batch: list[dict[str, Any]],
        marks: list[CoverageMark] | None = None,
        links: dict[str, int] | None = None,
        observed: Observations | None = None,
    ) -> None:
        """Write a batch (with what it vouches for); if the database refuses its content, write
        the rest one by one, and then the marks."""
        try:
            self._count(self._connected().write(batch, marks or (), links, observed))
        except StoreUnavailable:
            raise
        except Exception:  # a value the database refuses: find it, keep the others
            for record in batch:
                self._write_single(record)
            if marks or links or observed:
                self._connected().write([], marks or (), links, observed)

    def _write_single(self, record: dict[str, Any]) -> None:
        try:
            self._count(self._connected().write([record]))
        except StoreUnavailable:
            raise
        except Exception as error:
            self.stats.inc_value("mizan/store/rejected")
            logger.error(
                "Store %s rejected news_code %s (%s): %s",
                self.url.redacted,
                record.get("news_code"),
                record.get("url"),
                " ".join(redact_text(str(error), self.url.secrets).split()),
            )

    def _replay(self) -> None:
        """Write what this crawl and crawls that are gone spooled, before anything newer."""
        replayed = self.spool.replay(self._write, self.batch_size)
        if replayed:
            self.stats.inc_value("mizan/store/replayed", replayed)

    def _to_spool(self, batch: list[dict[str, Any]], error: StoreUnavailable) -> None:
        if not self.outage:  # a loss only if they are still spooled at the end (an error then)
            logger.warning("%s; spooling items to %s until it is back", error, self.spool.path)
            self.outage = True
        try:
            self.spool.append(batch)
        except OSError as spool_error:
            self.buffer[:0] = batch  # held in memory, tried again at the next flush
            self._stop(
                f"neither the store nor the spool {self.spool.path} can be written ({spool_error})"
            )
            return
        self.stats.inc_value("mizan/store/spooled", len(batch))

    def _stop(self, why: str) -> None:
        if not self.stopping:
            self.stopping = True
            logger.critical("%s: stopping the crawl", why)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_unavailable"))

    def _count(self, outcome: Counter[str]) -> None:
        for name, number in outcome.items():
            self.stats.inc_value(f"mizan/store/{name}", number)
