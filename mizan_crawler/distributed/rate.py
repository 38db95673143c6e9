"""One request rate for the whole site, shared by every worker through Redis.

Each worker keeps its own downloader slot (``DOWNLOAD_DELAY``, AutoThrottle, back-off), so N
workers alone would send N times as many requests. Before a request leaves, the worker also takes
the site's next free moment from Redis, in one atomic step on Redis's own clock
(``next = max(now, last + spacing)``), and waits until then: requests of all workers together are
at least ``spacing`` apart, ``spacing`` being the larger of ``DOWNLOAD_DELAY`` and robots.txt's
Crawl-delay.

The wait happens in the download handler, that is when the worker's slot has already let the
request go (its own delay and one-at-a-time are behind it) and nothing more holds it: taken any
earlier (in a downloader middleware), a moment could be used late, after another worker's later
one, and two requests would leave closer together than the spacing. The handler wraps whichever
handler was configured for ``http``/``https`` (Scrapy's, or scrapy-playwright's); the wait is not
part of the request's timeout or its measured latency.

The key is per site, not per crawl (``keys.site_rate_key``), so two crawls of one site share the
rate too. A Redis that does not answer is waited for as the rest of the distributed code waits
(up to ``MIZAN_REDIS_OUTAGE_SECONDS``, growing pauses); after that the request fails with
``SharedRateUnavailable`` (logged and counted as a failed request) rather than go out
unthrottled, and the worker, whose heartbeat waited as long, stops the crawl
(``redis_unavailable``): the request stays in Redis and is fetched when the crawl resumes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio as aioredis
from scrapy import Request
from scrapy.core.downloader.handlers import DownloadHandlerProtocol
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from ..politeness import CrawlDelayMiddleware
from ..store.urls import redact
from .keys import site_rate_key

logger = logging.getLogger(__name__)

# The setting that keeps, per scheme, the handler the shared rate wraps (set by the add-on).
INNER_HANDLERS = "MIZAN_SHARED_RATE_HANDLERS"

# KEYS[1]: the site's key. ARGV: spacing (microseconds), key lifetime (ms). Returns microseconds
# to wait. The moment is kept as text of whole microseconds (a Lua number printed as such keeps
# only 14 digits).
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, last + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.0f', at), 'PX', ARGV[2])
return at - now
"""


class SharedRateUnavailable(RuntimeError):
    """Redis stayed silent, so no moment could be taken; the request is not sent unthrottled."""


class SiteRate:
    """The site's shared next-request moment in Redis (an asyncio client: waits never block the
    reactor)."""

    def __init__(self, client: aioredis.Redis, key: str, patience: float, where: str) -> None:
        self.client = client
        self.key = key
        self.patience = patience  # seconds to wait for a silent Redis
        self.where = where  # "Redis at <url without password>", for messages
        self.script = client.register_script(_RESERVE)
        # Patience ran out once: until Redis answers again, the requests queued behind that one
        # fail at their first try instead of waiting as long each (the worker is stopping).
        self.silent = False

    async def reserve(self, spacing: float) -> float:
        """Take the next moment at least ``spacing`` after the last one taken; seconds until it."""
        spacing_us = round(spacing * 1_000_000)
        lifetime_ms = max(60_000, round(spacing * 10_000))  # a stale key goes; a live one stays
        waited = await self._patiently(
            lambda: self.script(keys=[self.key], args=[spacing_us, lifetime_ms])
        )
        return int(waited) / 1_000_000

    async def _patiently(self, command: Callable[[], Awaitable[Any]]) -> Any:
        """``await command()``, tried again with growing pauses while Redis does not answer, for up
        to ``patience`` seconds (the coordinator's rule, without blocking the reactor)."""
        started: float | None = None
        pause = 0.05
        while True:
            try:
                result = await command()
            except (redis.ConnectionError, redis.TimeoutError) as error:
                now = time.monotonic()
                if self.silent:
                    raise self.unavailable() from None
                if started is None:
                    started = now
                    logger.warning(
                        "The shared request rate waits for %s (%s), up to %g s",
                        self.where, " ".join(str(error).split()), self.patience,
                    )  # fmt: skip
                if now + pause - started > self.patience:
                    self.silent = True
                    raise self.unavailable() from None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            self.silent = False
            if started is not None:
                waited = time.monotonic() - started
                logger.info("The shared request rate goes on, %.1f s later", waited)
            return result

    def unavailable(self) -> SharedRateUnavailable:
        return SharedRateUnavailable(
            f"not sent: {self.where} gave no moment to send it in {self.patience:g} s"
        )

    async def close(self) -> None:
        await self.client.aclose()


class SharedRateHandler:
    """``DOWNLOAD_HANDLERS`` entry for ``http`` and ``https`` in a distributed crawl: waits for
    the site's shared moment, then lets the wrapped handler download."""

    lazy = True

    def __init__(self, crawler: Crawler, rate: SiteRate) -> None:
        self.crawler = crawler
        self.rate = rate
        self.download_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.inner_paths = crawler.settings.getdict(INNER_HANDLERS)
        self.inner: dict[str, DownloadHandlerProtocol] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRateHandler:
        settings = crawler.settings
        url = settings.get("MIZAN_REDIS_URL")
        if not url:
            raise NotConfigured
        timeout = settings.getfloat("MIZAN_REDIS_TIMEOUT", 5.0)
        client = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        key = site_rate_key(
            settings.get("MIZAN_REDIS_KEY_PREFIX", "mizan"), settings["MIZAN_BASE_URL"]
        )
        patience = settings.getfloat("MIZAN_REDIS_OUTAGE_SECONDS", 60.0)
        return cls(crawler, SiteRate(client, key, patience, f"Redis at {redact(url)}"))

    def spacing(self, request: Request) -> float:
        """Seconds at least between two requests to the site: ``DOWNLOAD_DELAY``, or the host's
        robots.txt Crawl-delay when that is longer."""
        floors = self.crawler.get_downloader_middleware(CrawlDelayMiddleware)
        if floors is None:
            return self.download_delay
        return floors.floor_for(urlparse_cached(request).hostname or "")

    def handler_for(self, scheme: str) -> DownloadHandlerProtocol:
        """The wrapped handler of ``scheme``, built at its first request (as Scrapy builds
        lazy handlers)."""
        if scheme not in self.inner:
            self.inner[scheme] = build_from_crawler(
                load_object(self.inner_paths[scheme]), self.crawler
            )
        return self.inner[scheme]

    async def download_request(self, request: Request) -> Response:
        spacing = self.spacing(request)
        if spacing > 0:
            wait = await self.rate.reserve(spacing)
            if wait > 0:
                self.crawler.stats.inc_value("mizan/distributed/rate_waits")
                self.crawler.stats.inc_value("mizan/distributed/rate_wait_seconds", wait)
                await asyncio.sleep(wait)
        return await self.handler_for(urlparse_cached(request).scheme).download_request(request)

    async def close(self) -> None:
        for handler in self.inner.values():
            await handler.close()
        await self.rate.close()
