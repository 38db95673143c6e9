"""How much of the site's timeline a listing walk has read for sure.

``news`` reads the latest-news listing page after page, newest first. A stretch of the timeline
counts as read once every article listed on the pages covering it is settled: stored already,
or fetched and its item handed to the store, or answered as missing. Pages are settled in order:
an article still in flight on page 2 holds back page 3 even if page 3 is done, and one article
that could not be fetched ends the covered stretch for this run just above it (the next run
reads the rest). Nothing here does I/O; the spider reports what happens and asks for the span.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ListedPage:
    """One listing page: its entries' tracking keys and the trusted publication instants
    (epoch seconds) it showed."""

    number: int
    keys: list[str]
    epochs: list[int] = field(default_factory=list)


class ListingWalk:
    """Tracks the walk's requests and says which span ``[oldest, newest]`` is read."""

    def __init__(self) -> None:
        self.pages: dict[int, ListedPage] = {}
        self.in_flight: Counter[str] = Counter()
        self.failed: dict[str, int | None] = {}  # key: its listed instant
        self.listed_at: dict[str, int | None] = {}
        self.settled_pages = 0
        self.newest: int | None = None
        self.oldest: int | None = None
        self.stopped = False  # a failure ended the stretch this run can vouch for

    def add_page(self, page: ListedPage, listed_at: dict[str, int | None]) -> None:
        """A listing page read (its requests, if any, already ``sent``)."""
        self.pages[page.number] = page
        for key, epoch in listed_at.items():
            self.listed_at.setdefault(key, epoch)

    def sent(self, key: str) -> None:
        """A request for the article ``key`` names left the spider."""
        self.in_flight[key] += 1

    def settled(self, key: str, ok: bool = True) -> None:
        """A request for ``key`` ended: its article is with the store or rightly absent (``ok``),
        or it could not be fetched."""
        if self.in_flight[key] > 0:
            self.in_flight[key] -= 1
        if not ok:
            self.failed.setdefault(key, self.listed_at.get(key))

    def span(self) -> tuple[int, int] | None:
        """Advance over the pages now settled; the stretch read for sure, if any."""
        while not self.stopped and self.settled_pages + 1 in self.pages:
            page = self.pages[self.settled_pages + 1]
            if any(self.in_flight[key] > 0 for key in page.keys):
                break
            if page.number == 1 and page.epochs:
                self.newest = max(page.epochs)
            failures = [self.failed[key] for key in page.keys if key in self.failed]
            if failures:
                self._stop_above(failures)
                break
            if page.epochs:
                low = min(page.epochs)
                self.oldest = low if self.oldest is None else min(self.oldest, low)
            self.settled_pages += 1
        if self.newest is None or self.oldest is None:
            return None
        return self.oldest, self.newest

    def _stop_above(self, failures: list[int | None]) -> None:
        """The stretch ends just above the newest article that could not be fetched (an
        undated one leaves it where the pages before it ended)."""
        self.stopped = True
        dated = [epoch for epoch in failures if epoch is not None]
        if not dated:
            return
        top = max(dated)
        self.oldest = top + 1 if self.newest is not None and top < self.newest else None
