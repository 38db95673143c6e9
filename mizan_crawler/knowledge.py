"""What the store knows of the site, in one component: the news codes it holds (and which of them
the site withdrew), the short links it has seen resolved, and the coverage ledger; and what this
run learns of them (marks, short links, sitemap entries, stored articles found gone), handed to
the store pipeline to be written in the same transactions as the articles.

It is an extension: built once per crawl, loaded from the store when the spider opens (after the
store pipeline has replayed its spool), so spiders never open the store themselves. Spiders plan
with it (``is_known``, ``ledger``); the request filter (``request_filter.py``) consults it for
every request; the store pipeline writes what it learnt (``take_pending``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from .pages.discovery import Entry
from .store import CoverageMark, Store, StoreConfigError, StoreUnavailable, open_store
from .store.observations import FetchBasis, Observations, SitemapEntry

logger = logging.getLogger(__name__)
_INSTANCES: WeakKeyDictionary[Crawler, SiteKnowledge] = WeakKeyDictionary()


class SiteKnowledge:
    """``EXTENSIONS`` entry; ``SiteKnowledge.of(crawler)`` from any other component."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id = uuid.uuid4().hex
        self.known: set[int] = set()
        self.short_links: dict[str, int] = {}
        self.ledger: list[CoverageMark] = []
        self.epochs: dict[int, int | None] = {}
        self.newest_trusted: int | None = None  # the newest stored instant not in the future
        self.withdrawn: set[int] = set()  # stored codes the site does not serve now
        self.refresh = False
        self.refetch: set[int] = set()  # stored codes to fetch again all the same (see is_known)
        self.loaded = False
        self.pending_marks: dict[str, CoverageMark] = {}
        self.pending_links: dict[str, int] = {}
        self.pending_observed = Observations()

    @classmethod
    def of(cls, crawler: Crawler) -> SiteKnowledge:
        """The crawl's one instance (made on first use)."""
        if crawler not in _INSTANCES:
            _INSTANCES[crawler] = cls(crawler)
        return _INSTANCES[crawler]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteKnowledge:
        knowledge = cls.of(crawler)
        crawler.signals.connect(knowledge.spider_opened, signal=signals.spider_opened)
        return knowledge

    def spider_opened(self, spider: Spider) -> None:
        self.load(refresh=bool(getattr(spider, "refresh", False)))

    # Loading -------------------------------------------------------------------------------

    def load(self, refresh: bool = False) -> None:
        """Read the store's view once; a crawl without a store (or whose store is down, which
        stops it) knows nothing."""
        if self.loaded:
            return
        self.loaded = True
        self.refresh = refresh
        database_url = self.crawler.settings.get("DATABASE_URL")
        if not database_url:
            return
        try:
            store = open_store(database_url)
        except (StoreConfigError, StoreUnavailable) as error:
            logger.warning("The store's view of the site is not available: %s", error)
            return
        try:
            self._read(store)
        finally:
            store.close()

    def _read(self, store: Store) -> None:
        self.known = store.known_codes()
        self.short_links = store.short_links()
        self.ledger = store.coverage()
        self.newest_trusted = store.newest_epoch(until_epoch=self.future_limit())
        self.withdrawn = store.withdrawn_codes()
        self.crawler.stats.set_value("mizan/discovery/stored_at_start", len(self.known))

    def published_epochs(self, codes: Iterable[int]) -> dict[int, int | None]:
        """Publication instants of stored codes (asked of the store, then remembered)."""
        wanted = [code for code in codes if code in self.known and code not in self.epochs]
        database_url = self.crawler.settings.get("DATABASE_URL")
        if wanted and database_url:
            with open_store(database_url) as store:
                self.epochs.update(store.published_epochs(wanted))
        return {code: self.epochs.get(code) for code in codes if code in self.known}

    def stored_published_between(self, first_epoch: int, last_epoch: int) -> set[int]:
        """Stored codes published in ``[first_epoch, last_epoch]`` (asked of the store)."""
        database_url = self.crawler.settings.get("DATABASE_URL")
        if not database_url or not self.known:
            return set()
        with open_store(database_url) as store:
            return store.codes_published_between(first_epoch, last_epoch)

    def fetch_basis(self, codes: Iterable[int]) -> dict[int, FetchBasis]:
        """What the store knows of when the given stored codes were last fetched."""
        wanted = [code for code in codes if code in self.known]
        database_url = self.crawler.settings.get("DATABASE_URL")
        if not wanted or not database_url:
            return {}
        with open_store(database_url) as store:
            return store.fetch_basis(wanted)

    # Questions -----------------------------------------------------------------------------

    def future_limit(self) -> int:
        """The latest publication instant (epoch seconds) believable now: later ones are typos of
        the site, never stopping points or ledger marks (``MIZAN_FUTURE_TOLERANCE_MINUTES``)."""
        minutes = self.crawler.settings.getfloat("MIZAN_FUTURE_TOLERANCE_MINUTES", 120.0)
        return int(time.time() + minutes * 60)

    def is_known(self, code: int) -> bool:
        """Whether the article need not be fetched: stored, no ``refresh`` asked for, and not
        one of the codes a spider chose to fetch again (``fetch_again``)."""
        return not self.refresh and code in self.known and code not in self.refetch

    def fetch_again(self, codes: Iterable[int]) -> None:
        """Let requests for these stored codes through (an edit, a withdrawal to confirm)."""
        self.refetch.update(codes)

    def code_of_short_link(self, path: str) -> int | None:
        """The news code a short link led to when last followed."""
        return self.short_links.get(path)

    # What this run learns ------------------------------------------------------------------

    def remember_short_link(self, path: str, code: int) -> None:
        if self.short_links.get(path) != code:
            self.short_links[path] = code
            self.pending_links[path] = code

    def cover(self, source: str, first: int, last: int) -> None:
        """Record that this run read ``[first, last]`` of ``source`` (see ``CoverageMark``)."""
        mark = CoverageMark(self.run_id, source, first, last)
        held = self.pending_marks.get(source)
        self.pending_marks[source] = mark if held is None else held.widened(mark)
        self.ledger.append(mark)

    def note_sitemap_entries(self, urlset: str, entries: Iterable[Entry], seen_at: str) -> None:
        """Entries of a urlset read at ``seen_at`` (ISO 8601 UTC, before any fetch they lead
        to), to be written with the next batch (``sitemap_entries``); not kept without a store."""
        if not self.crawler.settings.get("DATABASE_URL"):
            return
        held = self.pending_observed.sitemap_entries
        for entry in entries:
            if entry.news_code is not None:
                held[entry.news_code] = SitemapEntry(
                    entry.news_code, entry.lastmod, entry.published, urlset, seen_at
                )

    def note_gone(self, code: int | None) -> None:
        """The site answered 404, 410 or its error page for ``code``: a stored article not
        already known withdrawn is marked withdrawn with the next batch."""
        if code is None or code not in self.known or code in self.withdrawn:
            return
        self.withdrawn.add(code)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.pending_observed.gone.setdefault(code, now)

    def has_pending(self) -> bool:
        return bool(self.pending_marks or self.pending_links or self.pending_observed)

    def take_pending(self) -> tuple[list[CoverageMark], dict[str, int], Observations]:
        """What to write with the next batch; ``give_back`` it if that write fails."""
        marks, links = list(self.pending_marks.values()), dict(self.pending_links)
        observed = self.pending_observed
        self.pending_marks, self.pending_links = {}, {}
        self.pending_observed = Observations()
        return marks, links, observed

    def give_back(
        self,
        marks: list[CoverageMark],
        links: dict[str, int],
        observed: Observations | None = None,
    ) -> None:
        """A write that failed: keep what it carried for the next one (merged with newer)."""
        for mark in marks:
            held = self.pending_marks.get(mark.source)
            self.pending_marks[mark.source] = mark if held is None else held.widened(mark)
        self.pending_links = {**links, **self.pending_links}
        if observed:
            self.pending_observed = observed.merged_under(self.pending_observed)

    def summary(self) -> dict[str, Any]:
        """This run's unwritten marks, for the crawl summary."""
        return {source: (m.first, m.last) for source, m in self.pending_marks.items()}
