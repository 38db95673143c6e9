"""Scrapy extensions: final stats as a JSON file, progress of long runs."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from .progress import LiveLine, done_count, error_count, format_duration, format_progress
from .redaction import redact_value
from .secret_filter import crawl_secrets

logger = logging.getLogger(__name__)


class StatsFile:
    """Writes the crawl's final stats as JSON to ``MIZAN_STATS_FILE``, for schedulers and tests,
    every secret of the settings masked.

    Disabled (``NotConfigured``) when the setting is empty.
    """

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("MIZAN_STATS_FILE")
        if not path:
            raise NotConfigured  # silent: most runs do not want the file
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        # No stat of ours holds a secret; one of a component's (an error text) might.
        stats = redact_value(stats, crawl_secrets(self.crawler.settings))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(stats, default=str, ensure_ascii=False, indent=1), "utf-8")


class Progress:
    """Tells how far a long crawl has got: one INFO line every ``MIZAN_PROGRESS_INTERVAL`` seconds
    (60; 0 turns it off) and a summary at the end; on a terminal, also a live status line on
    stderr, redrawn about once a second and wiped at the end.

    Done is items scraped plus pages skipped (``mizan/skipped/*``); the total is known when the
    spider sets the stat ``mizan/progress/total``.
    """

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.live: LiveLine | None = None
        self.loops: list[AsyncioLoopingCall | LoopingCall] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("MIZAN_PROGRESS_INTERVAL", 60.0)
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self._every(self.interval, self.log_progress)
        if sys.stderr.isatty():  # a pipe or a log file gets the periodic lines only
            self._start_live(sys.stderr)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in self.loops:
            if loop.running:
                loop.stop()
        self._stop_live()
        took = format_duration(time.monotonic() - self.started)
        logger.info("Crawl closed (%s) after %s: %s", reason, took, self.line())

    def log_progress(self) -> None:
        logger.info("Progress: %s", self.line())

    def draw(self) -> None:
        if self.live:
            self.live.draw(self.line())

    def _start_live(self, stream: TextIO) -> None:
        self.live = LiveLine(stream)
        for handler in _handlers_writing_to(stream):
            handler.addFilter(self.live)
        self._every(1.0, self.draw)

    def _stop_live(self) -> None:
        if not self.live:
            return
        self.live.clear()
        for handler in _handlers_writing_to(self.live.stream):
            handler.removeFilter(self.live)
        self.live = None

    def line(self) -> str:
        """The crawl's figures now, as ``format_progress`` words them."""
        stats = self.crawler.stats.get_stats()
        done = done_count(stats)
        minutes = (time.monotonic() - self.started) / 60
        rate = done / minutes if minutes > 0 else 0.0
        return format_progress(done, stats.get("mizan/progress/total"), rate, error_count(stats))

    def _every(self, seconds: float, function: Callable[[], None]) -> None:
        loop = create_looping_call(function)
        loop.start(seconds, now=False)
        self.loops.append(loop)


def _handlers_writing_to(stream: TextIO) -> list[logging.Handler]:
    """The root logger's handlers printing to ``stream`` (Scrapy's own among them)."""
    return [
        handler for handler in logging.root.handlers if getattr(handler, "stream", None) is stream
    ]
