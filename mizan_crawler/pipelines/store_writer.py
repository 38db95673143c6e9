"""The store pipeline's I/O, run in its one store thread: the connection, the spool, the retries.

Nothing here touches the crawl (stats, signals, the engine, what the run learnt of the site) nor
logs: each call returns an ``Outcome`` that the pipeline reports on the reactor thread. Only that
thread ever uses the connection (psycopg and sqlite3 connections are not shared between threads)
and the spool file, so writes happen one at a time, in the order they were asked for.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..redaction import redact_text
from ..store import CoverageMark, Store, StoreUnavailable, open_store
from ..store.observations import Observations
from ..store.spool import Spool
from ..store.urls import StoreURL

WRITE_ATTEMPTS = 3  # a dropped connection is often back at once


@dataclass
class Outcome:
    """What one call did: counts for ``mizan/store/<name>`` stats, and what went wrong."""

    counts: Counter[str] = field(default_factory=Counter)
    lost: list[StoreUnavailable] = field(default_factory=list)  # failed attempts, in order
    error: StoreUnavailable | None = None  # the store did not take the batch (or the replay)
    spool_error: OSError | None = None  # ... and neither did the spool
    rejections: list[str] = field(default_factory=list)  # records refused, for the log


class StoreWriter:
    """The store and the spool of one crawl; every method runs in the store thread."""

    def __init__(
        self, database_url: str, url: StoreURL, spool: Spool, batch_size: int, timeout: float
    ) -> None:
        self.database_url = database_url
        self.url = url
        self.spool = spool
        self.batch_size = batch_size
        self.timeout = timeout
        self.store: Store | None = None

    def open(self) -> Outcome:
        """Connect and write what crawls that are gone left in the spool."""
        outcome = Outcome()
        try:
            self._replay(outcome)
        except StoreUnavailable as error:
            self.disconnect()
            outcome.error = error
        return outcome

    def flush(
        self,
        batch: list[dict[str, Any]],
        marks: list[CoverageMark],
        links: dict[str, int],
        observed: Observations | None = None,
    ) -> Outcome:
        """Write the spool, then ``batch`` with the marks, links and observations it vouches
        for (sitemap entries, withdrawals); or spool it.

        A lost connection is tried again at once, but not a store that let an attempt run
        into the timeout: it is not answering, and the batch goes to the spool now."""
        outcome = Outcome()
        started = time.monotonic()
        for _ in range(WRITE_ATTEMPTS):
            try:
                self._connected().write([])  # fail fast before claiming any spool file
                self._replay(outcome)
                self._write(batch, marks, links, outcome, observed)
                return outcome
            except StoreUnavailable as error:
                outcome.lost.append(error)
                outcome.counts["reconnects"] += 1
                self.disconnect()
                if time.monotonic() - started >= self.timeout / 2:
                    break
        outcome.error = outcome.lost[-1]
        if batch:
            try:
                self.spool.append(batch)
            except OSError as error:
                outcome.spool_error = error
            else:
                outcome.counts["spooled"] += len(batch)
        return outcome

    def replay(self) -> Outcome:
        """Only write the spool (the crawl's last chances to empty it)."""
        return self.open()

    def finish(self) -> tuple[int, int]:
        """Close the spool and the store: records left in this crawl's spool, and in others'."""
        left, others = len(self.spool), self.spool.others_waiting()
        self.spool.close()
        self.disconnect()
        return left, others

    def spool_pending(self) -> bool:
        return self.spool.pending()

    def disconnect(self) -> None:
        if self.store is not None:
            self.store.close()

    def _connected(self) -> Store:
        if self.store is None or self.store.connection is None:
            self.store = open_store(self.database_url, self.timeout)
        return self.store

    def _replay(self, outcome: Outcome) -> None:
        """Write what this crawl and crawls that are gone spooled, before anything newer."""
        self._connected()
        replayed = self.spool.replay(
            lambda batch: self._write(batch, [], {}, outcome), self.batch_size
        )
        if replayed:
            outcome.counts["replayed"] += replayed

    def _write(
        self,
        batch: list[dict[str, Any]],
        marks: list[CoverageMark],
        links: dict[str, int],
        outcome: Outcome,
        observed: Observations | None = None,
    ) -> None:
        """Write a batch (with what it vouches for); if the database refuses its content, write
        the rest one by one, and then the marks."""
        if not batch and not marks and not links and not observed:
            return
        store = self._connected()
        try:
            self._count(store, store.write(batch, marks, links, observed), outcome)
        except StoreUnavailable:
            raise
        except Exception:  # a value the database refuses: find it, keep the others
            for record in batch:
                self._write_single(record, outcome)
            if marks or links or observed:
                self._count(store, self._connected().write([], marks, links, observed), outcome)

    def _write_single(self, record: dict[str, Any], outcome: Outcome) -> None:
        store = self._connected()
        try:
            self._count(store, store.write([record]), outcome)
        except StoreUnavailable:
            raise
        except Exception as error:
            outcome.counts["rejected"] += 1
            outcome.rejections.append(
                f"Store {self.url.redacted} rejected news_code {record.get('news_code')} "
                f"({record.get('url')}): "
                + " ".join(redact_text(str(error), self.url.secrets).split())
            )

    @staticmethod
    def _count(store: Store, written: Counter[str], outcome: Outcome) -> None:
        outcome.counts.update(written)
        if store.conflicts:  # transactions written again after a deadlock with another writer
            outcome.counts["conflicts"] += store.conflicts
            store.conflicts = 0
