"""The add-on that makes a crawl one worker of a shared crawl when ``MIZAN_REDIS_URL`` is set.

Its components (and Redis's client under them) are imported only when it is configured, so a crawl
without Redis never loads them.
"""

from __future__ import annotations

from contextlib import suppress

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES, Settings


class DistributedCrawlAddon:
    """``ADDONS`` entry. Without ``MIZAN_REDIS_URL`` it stays out of the way (``NotConfigured``);
    with it: the shared scheduler, the worker extension (ahead of the monitors and the stats file,
    which read its figures), the discovery turn, and the store pipeline that reports what it
    wrote; and the download handler that keeps every worker to one shared request rate."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedCrawlAddon:
        if not crawler.settings.get("MIZAN_REDIS_URL"):
            raise NotConfigured
        return cls()

    def update_settings(self, settings: Settings) -> None:
        from ..pipelines.store import StorePipeline
        from .discovery import DiscoveryTurn
        from .pipeline import SharedStorePipeline
        from .scheduler import SharedScheduler
        from .worker import DistributedCrawl

        settings.set("SCHEDULER", SharedScheduler, "addon")
        settings.set_in_component_priority_dict("EXTENSIONS", DistributedCrawl, 100)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", DiscoveryTurn, 10)
        with suppress(KeyError):  # no store pipeline (DATABASE_URL empty or disabled)
            settings.replace_in_component_priority_dict(
                "ITEM_PIPELINES", StorePipeline, SharedStorePipeline
            )
        share_the_rate(settings)


def share_the_rate(settings: Settings) -> None:
    """Put ``SharedRateHandler`` in front of the ``http``/``https`` handlers configured so far
    (Scrapy's, or scrapy-playwright's from the browser add-on, which runs before this one), at
    the priority the handlers were given, so a command-line override is wrapped too."""
    from .rate import INNER_HANDLERS, SharedRateHandler

    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    inner = {scheme: handlers[scheme] for scheme in ("http", "https") if handlers.get(scheme)}
    priority = max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["addon"])
    settings.set(INNER_HANDLERS, inner, priority)
    wrapped = {scheme: SharedRateHandler for scheme in inner}
    settings.set(
        "DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"), **wrapped}, priority
    )
