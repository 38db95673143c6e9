"""Spidermon monitors run when a crawl closes, and what happens when one fails.

A failed monitor logs one line naming the check, marks the stats (``mizan/monitors/failed``),
which makes the ``crawl`` command exit non-zero, and notifies Telegram or Slack when configured.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar

from scrapy.crawler import Crawler
from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.monitors.mixins import SpiderMonitorMixin
from spidermon.contrib.scrapy.monitors import (
    ErrorCountMonitor,
    FinishReasonMonitor,
    ItemValidationMonitor,
    RetryCountMonitor,
    UnwantedHTTPCodesMonitor,
)
from spidermon.core.actions import Action

from .coverage import coverage_key, undated_items

logger = logging.getLogger(__name__)
# Spidermon's runner still calls Spider.log(); the warning says nothing to our users.
warnings.filterwarnings(
    "ignore", message=r"Spider\.log\(\) is deprecated", category=ScrapyDeprecationWarning
)

KINDS = ("news", "photo", "video")
REQUIRED = ("news_code", "title")
REPORTED = ("lead", "tags", "uptitle")


def _setting(monitor: Monitor, name: str, default: float) -> float:
    return monitor.crawler.settings.getfloat(name, default)


@monitors.name("Field coverage")
class FieldCoverageMonitor(Monitor, SpiderMonitorMixin):
    """news_code and title on every item; a readable date on every item but
    ``MIZAN_MAX_UNDATED``; a body on nearly every news item."""

    @monitors.name("required fields")
    def test_required_fields(self) -> None:
        for kind in KINDS:
            items = self.stats.get(coverage_key(kind), 0)
            for field in REQUIRED:
                present = self.stats.get(coverage_key(kind, field), 0)
                if items and present < items:
                    self.fail(f"field {field}: on {present} of {items} {kind} items (needed: all)")

    @monitors.name("readable dates")
    def test_readable_dates(self) -> None:
        """An undated article is stored (``published_at`` null, the printed text kept), and
        each was logged as an error with its URL; the crawl still fails, so a theme change that
        hides every date is noticed the first time, not found later in the data."""
        stats = self.stats
        undated = undated_items(stats)
        allowed = int(_setting(self, "MIZAN_MAX_UNDATED", 0))
        if undated > allowed:
            items = sum(stats.get(coverage_key(kind), 0) for kind in (*KINDS, "unknown"))
            self.fail(
                f"field published_at: null on {undated} of {items} items (unreadable dates: "
                f"stored with published_at null, the printed text in published_at_raw; "
                f"allowed: {allowed})"
            )

    @monitors.name("news body")
    def test_news_body(self) -> None:
        items = self.stats.get(coverage_key("news"), 0)
        minimum = _setting(self, "MIZAN_MIN_BODY_COVERAGE", 0.95)
        with_body = self.stats.get(coverage_key("news", "body"), 0)
        if items and with_body < minimum * items:
            self.fail(f"field body: on {with_body} of {items} news items (needed: {minimum:.0%})")


@monitors.name("Expected articles")
class ExpectedItemsMonitor(Monitor, SpiderMonitorMixin):
    """Stored items against the article pages the crawl set out to fetch."""

    @monitors.name("items versus article requests")
    def test_items_versus_requests(self) -> None:
        expected = self.stats.get("mizan/discovery/requested", 0)
        if not expected:
            return
        # A backfill's candidates published outside its range were fetched to be looked at.
        accounted = (
            self.stats.get("item_scraped_count", 0)
            + self.stats.get("mizan/discovery/outside_range", 0)
            + sum(
                self.stats.get(f"mizan/skipped/{reason}", 0)
                for reason in ("http_404", "http_410", "cms_error_page")
            )
        )
        minimum = _setting(self, "MIZAN_MIN_ITEM_RATIO", 0.9)
        if accounted < minimum * expected:
            self.fail(
                f"items: {self.stats.get('item_scraped_count', 0)} stored of {expected} article pages "
                f"requested (needed: {minimum:.0%}, counting expected 404s and withdrawn stories)"
            )


SOURCE_PREFIX = "mizan/discovery/source/"


@monitors.name("Discovery")
class DiscoveryMonitor(Monitor, SpiderMonitorMixin):
    """The run's discovery sources found articles, in the markup we know."""

    @monitors.name("sources found articles")
    def test_sources_found_articles(self) -> None:
        found = {
            key.removeprefix(SOURCE_PREFIX).removesuffix("/found"): value
            for key, value in self.stats.items()
            if key.startswith(SOURCE_PREFIX) and key.endswith("/found")
        }
        if found and not any(found.values()):
            problems = "; ".join(
                f"{name}: {self.stats.get(f'{SOURCE_PREFIX}{name}/failed', 'nothing found')}"
                for name in sorted(found)
            )
            self.fail(f"no discovery source found an article ({problems})")

    @monitors.name("listing markup")
    def test_listing_markup(self) -> None:
        pages = self.stats.get("mizan/discovery/listing_fallback", 0)
        if pages:
            self.fail(
                f"{pages} listing pages matched no card selector and were read by their article "
                "links alone: the site's listing markup changed (update LISTING_LINKS)"
            )


class ReportFailures(Action):
    """One log line per failed check, and the stats mark the ``crawl`` command exits on."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReportFailures:
        action = cls()
        action.crawler = crawler
        return action

    def run_action(self) -> None:
        failures = [
            (result.monitor.name, _first_line(result.error))
            for result in self.result.monitors_failed_results
        ]
        for name, reason in failures:
            logger.error("Monitor failed: %s: %s", name, reason)
        self.crawler.stats.set_value("mizan/monitors/failed", len(failures))
        self.crawler.stats.set_value(
            "mizan/monitors/failed_checks", "; ".join(name for name, _ in failures)
        )


def _first_line(error: Any) -> str:
    """The assertion message of a unittest failure, without its traceback."""
    text = str(error).strip().splitlines()
    message = next(
        (line for line in reversed(text) if line.startswith("AssertionError")),
        text[-1] if text else "",
    )
    return message.removeprefix("AssertionError: ")


class CloseMonitorSuite(MonitorSuite):
    """The checks every crawl gets when it closes (each threshold is a setting)."""

    monitors: ClassVar[list[type[Monitor]]] = [
        FinishReasonMonitor,
        ErrorCountMonitor,
        RetryCountMonitor,
        UnwantedHTTPCodesMonitor,
        ItemValidationMonitor,
        FieldCoverageMonitor,
        ExpectedItemsMonitor,
        DiscoveryMonitor,
    ]
    monitors_failed_actions: ClassVar[list[type[Action]]] = [ReportFailures]

    def __init__(self, *args: Any, crawler: Crawler | None = None, **kwargs: Any) -> None:
        super().__init__(*args, crawler=crawler, **kwargs)
        if crawler is not None:
            self.add_monitors_failed_actions(notifications(crawler.settings))


def notifications(settings: Any) -> list[type[Action]]:
    """Telegram and Slack notifications of a failed crawl, for those configured; each notifier
    (and the HTTP and template libraries under it) is imported only when configured."""
    actions: list[type[Action]] = []
    if settings.get("SPIDERMON_TELEGRAM_SENDER_TOKEN"):
        from spidermon.contrib.actions.telegram.notifiers import SendTelegramMessageSpiderFinished

        actions.append(SendTelegramMessageSpiderFinished)
    if settings.get("SPIDERMON_SLACK_SENDER_TOKEN"):
        from spidermon.contrib.actions.slack.notifiers import SendSlackMessageSpiderFinished

        actions.append(SendSlackMessageSpiderFinished)
    return actions
