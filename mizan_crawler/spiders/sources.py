"""What each discovery source of a run found, so a run that found nothing never ends green.

A source is a kind of discovery page (the feed, the news sitemap, the listing pages, the sitemap
index, its urlsets, the archive listings). Each reports how many article links it gave, or why it
gave none (its error, or the selector that matched nothing); both are in the stats
(``mizan/discovery/source/<name>/found`` and ``.../failed``) and a source that gave nothing is
logged as an error with its URL. When every source of a run gave nothing, the spider closes with
``discovery_failed`` (exit status 2), naming each.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
FAILED_REASON = "discovery_failed"


class DiscoverySources:
    """The sources a spider reads, and what each gave."""

    def __init__(self, crawler: Crawler, names: tuple[str, ...]) -> None:
        self.crawler = crawler
        self.names = names
        self.found_counts: dict[str, int] = {}
        self.problems: dict[str, str] = {}

    def found(self, name: str, count: int, url: str, why_none: str = "") -> None:
        """``name`` gave ``count`` article links at ``url`` (``why_none`` says why if 0)."""
        total = self.found_counts.get(name, 0) + count
        self.found_counts[name] = total
        self.crawler.stats.set_value(f"mizan/discovery/source/{name}/found", total)
        if count == 0 and total == 0:
            self.failed(name, url, why_none or "nothing found")

    def failed(self, name: str, url: str, why: str) -> None:
        """``name`` could not be read at ``url``."""
        self.found_counts.setdefault(name, 0)
        if name in self.problems:
            return
        self.problems[name] = why
        self.crawler.stats.set_value(f"mizan/discovery/source/{name}/failed", why)
        logger.error("Discovery source %s gave nothing (%s): %s", name, url, why)

    def all_failed(self) -> bool:
        """Every source has reported, and none gave a single article link."""
        return all(name in self.found_counts for name in self.names) and not any(
            self.found_counts.values()
        )

    def report(self) -> str:
        """Each source with what went wrong, for the closing message."""
        return "; ".join(
            f"{name}: {self.problems.get(name, 'nothing found')}" for name in self.names
        )
