"""A short human summary at the end of every crawl, from its stats."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from .coverage import undated_items

logger = logging.getLogger(__name__)

STORE_OUTCOMES = ("new", "updated", "unchanged", "older", "rejected", "spooled")


def _by_prefix(stats: dict[str, Any], prefix: str) -> str:
    parts = [
        f"{key.removeprefix(prefix)} {value}"
        for key, value in sorted(stats.items())
        if key.startswith(prefix)
    ]
    return ", ".join(parts) or "none"


def summary_lines(stats: dict[str, Any]) -> list[str]:
    """The summary as a few lines of plain text."""
    seconds = float(stats.get("elapsed_time_seconds") or 0)
    pages = int(stats.get("downloader/response_count", 0))
    rate = pages / seconds * 60 if seconds else 0.0
    stored = ", ".join(f"{name} {stats.get(f'mizan/store/{name}', 0)}" for name in STORE_OUTCOMES)
    errors = {
        key: value
        for key, value in stats.items()
        if key.startswith(("mizan/failed/", "mizan/problem/")) or key == "log_count/ERROR"
    }
    undated = undated_items(stats)
    lines = [
        f"Crawl summary ({stats.get('finish_reason', '?')}, {seconds:.0f} s): "
        f"{stats.get('item_scraped_count', 0)} articles; store: {stored} (updated = revised)",
        f"  dropped: {_by_prefix(stats, 'mizan/dropped/')}; not articles: {_by_prefix(stats, 'mizan/skipped/')}",
        f"  errors: {_by_prefix(errors, '')}",
        f"  pages fetched {pages} ({rate:.0f}/min), retries {stats.get('retry/count', 0)}, "
        f"monitors failed: {stats.get('mizan/monitors/failed_checks') or 'none'}",
    ]
    if "mizan/archive/records" in stats:
        lines.append(
            f"  web archive: {stats['mizan/archive/records']} responses, "
            f"{stats.get('mizan/archive/bytes', 0) / 1e6:.1f} MB in "
            f"{stats.get('mizan/archive/files', 0)} files, "
            f"failed writes {stats.get('mizan/archive/failed', 0)}"
        )
    if any(key.startswith("mizan/reparse/") for key in stats):
        lines.append(
            f"  archive read: {_by_prefix(stats, 'mizan/reparse/records/')} records; "
            f"skipped: {_by_prefix(stats, 'mizan/reparse/skipped/')}; "
            f"torn ends {stats.get('mizan/reparse/torn', 0)}, "
            f"unreadable {stats.get('mizan/reparse/unreadable', 0)}, "
            f"parse failures {stats.get('mizan/reparse/failed', 0)}"
        )
    if "mizan/ledger/unread" in stats or "mizan/ledger/read" in stats:
        lines.append(
            f"  timeline read this run: {stats.get('mizan/ledger/read', 'nothing')}; "
            f"not yet read: {stats.get('mizan/ledger/unread', 'unknown')}"
        )
    if undated:
        lines.insert(
            1,
            f"  without a readable date: {undated} articles, kept with published_at null "
            "(each logged above with its URL and date text)",
        )
    return lines


class CrawlSummary:
    """Logs ``summary_lines`` when the spider closes (after the monitors have run)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {**self.crawler.stats.get_stats(), "finish_reason": reason}
        for line in summary_lines(stats):
            logger.info(line)
