"""Downloader middlewares: retries that wait before re-sending, and a stop when the site refuses."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

# The host asked the whole crawler to slow down: every request waits, not just the refused one.
PAUSE_STATUSES = frozenset({429, 503})
# Answers that mean "not you, not now"; a run of them means the site is refusing the crawler.
REFUSAL_STATUSES = frozenset({403, 429, 503})
# Why requests still waiting when the crawl stops on refusals are dropped.
NOT_SENT = "not sent: the site refuses the crawler"


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` if absent
    or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(asked: float | None, retry_times: int, base: float, cap: float) -> float:
    """The wait before a retry: what the host ``asked`` (Retry-After), else ``base`` doubled per
    earlier retry; never more than ``cap``, so one header cannot stall a scheduled run."""
    if asked is None:
        asked = base * 2**retry_times
    return min(asked, cap)


class RefusalCounter:
    """Refusals in a row; reports once, when they reach ``limit`` (a limit of 0 never reports).

    A 2xx, 3xx or 404 proves the site still serves the crawler and resets the count; other errors
    (a 500 says the site is broken, not that it refuses us) leave it as it is.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.reported = False
        self.refused = 0  # refusals in all
        self.served = 0  # answers that prove the site serves the crawler

    def observe(self, status: int) -> bool:
        """Count one response; ``True`` the first time the refusals in a row reach the limit."""
        if status in REFUSAL_STATUSES:
            self.count += 1
            self.refused += 1
        elif status < 400 or status == 404:
            self.count = 0
            self.served += 1
        if self.reported or not self.limit or self.count < self.limit:
            return False
        self.reported = True
        return True

    def refused_everything(self) -> bool:
        """Whether every answer so far was a refusal (and there was one): a short crawl, such as
        a scheduled ``news`` run of a few requests, ends before reaching the limit."""
        return self.refused > 0 and self.served == 0 and not self.reported


class CrawlPause:
    """Holds every request for a while: the engine's and the ones already in the downloader.

    ``engine.pause()`` only keeps new requests in the scheduler; the requests already queued in
    the downloader (up to ``CONCURRENT_REQUESTS``) are held as ``DOWNLOAD_DELAY`` holds them, by
    their slot's ``latercall``, whose callback (Scrapy's own) sends the queue on.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.until = 0.0  # time.monotonic() when the pause ends
        self.resume_call: CallLaterResult | None = None

    def start(self, seconds: float) -> None:
        """Send nothing for ``seconds``; a pause already lasting longer is left as it is."""
        until = time.monotonic() + seconds
        if until <= self.until:
            return
        self.until = until
        engine = self.crawler.engine
        engine.pause()
        for slot in engine.downloader.slots.values():
            if slot.latercall:
                slot.latercall.cancel()
            slot.latercall = call_later(seconds, engine.downloader._latercall, slot)
        if self.resume_call:
            self.resume_call.cancel()
        self.resume_call = call_later(seconds, engine.unpause)

    def hold(self) -> None:
        """Send nothing more, for good: the crawl is stopping. The engine stays paused, so that no
        request leaves the scheduler before the close begins, and the pause's timers are dropped."""
        engine = self.crawler.engine
        engine.pause()
        if self.resume_call:
            self.resume_call.cancel()
            self.resume_call = None
        for slot in engine.downloader.slots.values():
            if slot.latercall:
                slot.latercall.cancel()
                slot.latercall = None
        self.until = 0.0

    def drop_queued(self, why: str) -> int:
        """Fail the requests waiting in the downloader, never to be sent (the crawl is stopping
        and the host asked for quiet); returns how many."""
        dropped = 0
        for slot in self.crawler.engine.downloader.slots.values():
            while slot.queue:
                _, waiting = slot.queue.popleft()
                waiting.errback(Failure(IgnoreRequest(why)))
                dropped += 1
        return dropped

    def left(self) -> float:
        """Seconds until the pause ends (0 when none)."""
        return max(0.0, self.until - time.monotonic())


# Libraries whose exceptions ``RETRY_EXCEPTIONS`` may name but a crawl may never load (the
# browser's): their classes are looked up once the library is imported, so naming Playwright's
# TimeoutError does not import Playwright into every crawl (about 0.1 s of its start).
LOADED_WHEN_USED = ("playwright",)


def _loaded_when_used(name: object) -> bool:
    return isinstance(name, str) and name.split(".")[0] in LOADED_WHEN_USED


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, each one sent only after a wait, and a stop when the site keeps refusing.

    The wait is what ``Retry-After`` asks, else ``MIZAN_BACKOFF_BASE`` doubled per retry, capped by
    ``MIZAN_BACKOFF_MAX``. A 429 or 503 pauses the whole crawl for that long (retried or not),
    because the host asked the crawler as a whole to slow down; after another 5xx or a network
    error only the failed request waits.

    Every downloaded response is watched (``response_downloaded``, so redirects and answers later
    retried count too): after ``MIZAN_MAX_REFUSALS`` refusals (403/429/503) in a row the spider is
    closed with reason ``site_refusing``, and pending waits end at once.
    """

    backoff_base: float
    backoff_max: float
    refusals: RefusalCounter
    pause: CrawlPause
    stopping: asyncio.Event  # set when the crawl stops: waits end at once
    last_refusal: tuple[int, str]  # status and URL

    def __init__(self, settings: BaseSettings) -> None:
        named = settings.getlist("RETRY_EXCEPTIONS")
        self.not_loaded = [name for name in named if _loaded_when_used(name)]
        if self.not_loaded:
            settings = settings.copy()
            settings.frozen = False  # a private copy, read once by Scrapy's constructor below
            loaded_now = [name for name in named if name not in self.not_loaded]
            settings.set("RETRY_EXCEPTIONS", loaded_now, priority="cmdline")
        super().__init__(settings)

    def _load_used_exceptions(self) -> None:
        """Add to the retried exceptions those of the libraries imported since the start."""
        used = [name for name in self.not_loaded if name.split(".")[0] in sys.modules]
        if used:
            loaded = tuple(load_object(name) for name in used)
            self.exceptions_to_retry = (*self.exceptions_to_retry, *loaded)
            self.not_loaded = [name for name in self.not_loaded if name not in used]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoliteRetryMiddleware:
        middleware = super().from_crawler(crawler)
        settings = crawler.settings
        middleware.backoff_base = settings.getfloat("MIZAN_BACKOFF_BASE", 5.0)
        middleware.backoff_max = settings.getfloat("MIZAN_BACKOFF_MAX", 300.0)
        middleware.refusals = RefusalCounter(settings.getint("MIZAN_MAX_REFUSALS", 20))
        middleware.pause = CrawlPause(crawler)
        middleware.stopping = asyncio.Event()
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(middleware.spider_idle, signal=signals.spider_idle)
        middleware.last_refusal = (0, "")
        return middleware

    def process_request(self, request: Request) -> None:
        """After the stop, a request that still reaches the downloader (one the engine handed on
        before the close began) is dropped, not sent."""
        if self.stopping.is_set():
            self.crawler.stats.inc_value("mizan/refused/not_sent")
            raise IgnoreRequest(NOT_SENT)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if (
            response.status not in self.retry_http_codes
            or request.meta.get("dont_retry", False)
            or self.stopping.is_set()
        ):
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if response.status in PAUSE_STATUSES:  # the pause began in response_downloaded
            stopped = await self.wait(self.pause.left())
        else:
            stopped = await self.back_off(request, f"HTTP {response.status}")
        return response if stopped else retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if self.not_loaded:
            self._load_used_exceptions()
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
            "dont_retry", False
        ):
            return None
        retry = None if self.stopping.is_set() else self._retry(request, exception)
        if retry is None:
            return None
        stopped = await self.back_off(request, type(exception).__name__)
        return None if stopped else retry

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Pause on 429/503 before the downloader sends anything else; count refusals in a row.

        This runs as soon as a response arrives, before requests already queued in the downloader
        go out, which a pause begun later in ``process_response`` would be too late to hold.
        """
        if response.status in REFUSAL_STATUSES:
            self.crawler.stats.inc_value(f"mizan/refused/{response.status}")
            self.last_refusal = (response.status, response.url)
        if self.refusals.observe(response.status):
            self.stop_refused()
        elif response.status in PAUSE_STATUSES and not self.stopping.is_set():
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            delay = self.delay_for(request, asked)
            logger.info(
                "HTTP %s on %s: pausing the crawl %.1f s", response.status, request.url, delay
            )
            self.pause.start(delay)

    def delay_for(self, request: Request, asked: float | None = None) -> float:
        """The wait before retrying ``request``, counted in the back-off stats."""
        retry_times = request.meta.get("retry_times", 0)
        delay = backoff_seconds(asked, retry_times, self.backoff_base, self.backoff_max)
        self.crawler.stats.inc_value("mizan/backoff/count")
        self.crawler.stats.inc_value("mizan/backoff/seconds", delay)
        return delay

    async def back_off(self, request: Request, reason: str) -> bool:
        """Wait before retrying one request; ``True`` if the crawl stopped meanwhile."""
        delay = self.delay_for(request)
        logger.info("%s on %s: retrying in %.1f s", reason, request.url, delay)
        return await self.wait(delay)

    async def wait(self, seconds: float) -> bool:
        """Sleep ``seconds``, cut short when the crawl stops; ``True`` if it stopped."""
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def spider_idle(self, spider: Spider) -> None:
        """Nothing left to fetch and nothing was served: the crawl did not finish, it was
        refused, and its finish reason (and exit status) must say so."""
        if self.refusals.refused_everything():
            self.refusals.reported = True
            self.say_refused("refused every request of this crawl")
            raise CloseSpider("site_refusing")

    def stop_refused(self) -> None:
        """Say once, plainly, why the crawl stops, and close the spider: nothing is sent after."""
        self.say_refused("keeps refusing the crawler")
        self.stopping.set()
        self.pause.hold()
        dropped = self.pause.drop_queued(NOT_SENT)
        self.crawler.stats.inc_value("mizan/refused/not_sent", dropped)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="site_refusing"))

    def say_refused(self, what: str) -> None:
        status, url = self.last_refusal
        logger.error(
            "The site %s: %d refusals in a row, the last HTTP %d on %s. Stopping (site_refusing): "
            "wait a while before crawling again, then lower the rate (raise DOWNLOAD_DELAY; keep "
            "CONCURRENT_REQUESTS_PER_DOMAIN=1).",
            what,
            self.refusals.count,
            status,
            url,
        )
