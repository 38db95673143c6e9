"""robots.txt's ``Crawl-delay``: the site's own minimum between requests, kept as a floor.

Scrapy reads robots.txt (``RobotsTxtMiddleware``, Protego) but does not apply its Crawl-delay.
Its ``robots_parsed`` signal hands over the parser it built, whose ``crawl_delay()`` (Scrapy 2.18+)
reads the directive; so robots.txt is fetched and parsed once, by Scrapy, and nothing here
re-implements either. When that delay is longer than ``DOWNLOAD_DELAY``, the host's downloader
slot gets it as its delay, without the random 0.5-1.5x variation (which would go under the
site's minimum half the time), and AutoThrottle, whose own floor is ``DOWNLOAD_DELAY``, is held
above it. The distributed crawl's shared rate uses the same floor (``floor_for``).
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


def raised_delay(crawl_delay: float | None, download_delay: float) -> float | None:
    """The delay a host's ``Crawl-delay`` imposes, when it asks for more than ``DOWNLOAD_DELAY``;
    ``None`` when it asks for nothing more (absent, zero, or shorter)."""
    if crawl_delay is None or crawl_delay <= download_delay:
        return None
    return crawl_delay


class CrawlDelayMiddleware:
    """Downloader middleware with no request hooks: it listens to signals only.

    - ``robots_parsed``: note the host's Crawl-delay when it raises ``DOWNLOAD_DELAY`` (one INFO
      line, ``mizan/robots/crawl_delay`` in the stats);
    - ``request_reached_downloader``: a request's slot exists now and has not sent it yet: the
      slot's delay is raised to the floor (a slot Scrapy dropped when idle comes back with the
      default delay, and is raised again here);
    - ``response_downloaded``: AutoThrottle (an extension, so connected to this signal before any
      downloader middleware) has just adjusted the slot; its floor is ``DOWNLOAD_DELAY``, so the
      delay is lifted back to the Crawl-delay before the slot sends its next request.

    The slots are reached through ``crawler.engine.downloader.slots``, as AutoThrottle reaches
    them: Scrapy has no public API to set one slot's delay while crawling (``DOWNLOAD_SLOTS`` is
    read once, before robots.txt is known). ``tests/test_politeness.py`` covers it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.download_delay = settings.getfloat("DOWNLOAD_DELAY")
        # The name robots.txt is read for, as RobotsTxtMiddleware reads it.
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.floors: dict[str, float] = {}  # host -> its Crawl-delay, where it raises the delay

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        middleware = cls(crawler)
        for handler, signal in (
            (middleware.robots_parsed, signals.robots_parsed),
            (middleware.hold_floor, signals.request_reached_downloader),
            (middleware.response_downloaded, signals.response_downloaded),
        ):
            crawler.signals.connect(handler, signal=signal)
        return middleware

    def floor_for(self, host: str) -> float:
        """Seconds at least between two requests to ``host``: the larger of ``DOWNLOAD_DELAY``
        and its robots.txt Crawl-delay (once robots.txt is read)."""
        return self.floors.get(host, self.download_delay)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        delay = raised_delay(robotparser.crawl_delay(self.user_agent), self.download_delay)
        if delay is None:
            return
        self.floors[host] = delay
        self.crawler.stats.set_value("mizan/robots/crawl_delay", delay)
        logger.info(
            "robots.txt of %s asks Crawl-delay: %g: requests to it go %.1f s apart at least "
            "(DOWNLOAD_DELAY is %g s)",
            host,
            delay,
            delay,
            self.download_delay,
        )

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        self.hold_floor(request, spider)

    def hold_floor(self, request: Request, spider: Spider) -> None:
        """Keep the slot of ``request`` at its host's Crawl-delay or slower, never randomised
        below it."""
        floor = self.floors.get(urlparse_cached(request).hostname or "")
        if floor is None:
            return
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot", ""))
        if slot is not None:
            slot.delay = max(slot.delay, floor)
            slot.jitter = 0.0
