"""Lookup tables over a corpus that lists need and the corpus cannot answer by binary search.

A service page must count and page through one service, and every list leaves withdrawn stories
out, so the catalog keeps one byte per article naming its service and the (about 1%) withdrawn
indices. Both are built on first use, about a second for 100,000 articles, and stay small: 100 KB
and a thousand numbers. Everything else is still computed from the index.

A test may take an article off the lists later (``remove``, the server's ``withdraw`` hook) and
put it back (``put_back``): the lists then leave it out like the corpus's own withdrawals.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from .corpus import Corpus
from .words import SERVICES

SERVICE_SLUGS = tuple(slug for _, slug, _ in SERVICES)


class Catalog:
    """Service and withdrawal tables for one corpus, and the lists built on them."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._lock = threading.Lock()
        self._services: bytearray | None = None
        self._withdrawn: tuple[int, ...] | None = None
        self._withdrawn_set: frozenset[int] = frozenset()
        self._drawn: tuple[int, ...] | None = None  # the corpus's own withdrawals
        self._removed: set[int] = set()  # taken off by a test
        self._latest_changes: dict[range, datetime] = {}

    def live(self, indices: range) -> Iterator[int]:
        """The indices of ``indices``, in its order, whose articles were not withdrawn."""
        withdrawn = self._withdrawn_table()[1]
        return (index for index in indices if index not in withdrawn)

    def live_count(self, span: range) -> int:
        """How many articles of ``span`` (ascending) were not withdrawn."""
        table = self._withdrawn_table()[0]
        return len(span) - (
            bisect.bisect_left(table, span.stop) - bisect.bisect_left(table, span.start)
        )

    def service_live(self, service_slug: str, end: int) -> Iterator[int]:
        """Indices below ``end`` of the service's articles not withdrawn, newest first."""
        services, number = self._service_table(), SERVICE_SLUGS.index(service_slug)
        withdrawn = self._withdrawn_table()[1]
        position = services.rfind(number, 0, end)
        while position >= 0:
            if position not in withdrawn:
                yield position
            position = services.rfind(number, 0, position)

    def service_live_count(self, service_slug: str, end: int) -> int:
        """How many articles below ``end`` of the service were not withdrawn."""
        services, number = self._service_table(), SERVICE_SLUGS.index(service_slug)
        table = self._withdrawn_table()[0]
        gone = sum(services[index] == number for index in table[: bisect.bisect_left(table, end)])
        return services.count(number, 0, end) - gone

    def latest_change(self, span: range) -> datetime:
        """The last publication or edit among the live articles of ``span``, every edit done.

        Cached per span: the archive sitemap asks it for every settled month on every request.
        """
        with self._lock:
            cached = self._latest_changes.get(span)
        if cached is None:
            cached = max(
                self.corpus.edited_at(index) or self.corpus.published(index)
                for index in self.live(span)
            )
            with self._lock:
                self._latest_changes[span] = cached
        return cached

    def remove(self, index: int) -> None:
        """Leave the article at ``index`` out of every list from now on."""
        self._change(lambda: self._removed.add(index))

    def put_back(self, index: int) -> None:
        """List a removed article again."""
        self._change(lambda: self._removed.discard(index))

    def forget_changes(self) -> None:
        """Drop the cached latest changes (an article was edited)."""
        self._change(lambda: None)

    def _change(self, change: Callable[[], None]) -> None:
        with self._lock:
            change()
            self._withdrawn = None  # rebuilt with the removals at the next use
            self._latest_changes.clear()

    def _service_table(self) -> bytearray:
        """One byte per article naming its service, built once by replaying the opening draws."""
        with self._lock:
            if self._services is None:
                self._services = bytearray(
                    SERVICE_SLUGS.index(self.corpus.opening(index)[2][1])
                    for index in range(len(self.corpus))
                )
            return self._services

    def _withdrawn_table(self) -> tuple[tuple[int, ...], frozenset[int]]:
        """The withdrawn indices, ascending and as a set, built once."""
        with self._lock:
            if self._drawn is None:
                self._drawn = tuple(i for i in range(len(self.corpus)) if self.corpus.withdrawn(i))
            if self._withdrawn is None:
                found = tuple(sorted({*self._drawn, *self._removed}))
                self._withdrawn, self._withdrawn_set = found, frozenset(found)
            return self._withdrawn, self._withdrawn_set
