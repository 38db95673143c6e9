"""Downloader middlewares."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)

BACKOFF_STATUSES = frozenset({429, 503})


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


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus a pause of the whole crawl on 429/503 before retrying.

    The pause lasts what ``Retry-After`` asks (at most ``MIZAN_BACKOFF_MAX``), or doubles from
    ``MIZAN_BACKOFF_BASE`` with each retry when the header is absent. The engine is paused, not
    just this request, because the host asked the crawler as a whole to slow down.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoliteRetryMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.backoff_base = crawler.settings.getfloat("MIZAN_BACKOFF_BASE", 5.0)
        middleware.backoff_max = crawler.settings.getfloat("MIZAN_BACKOFF_MAX", 300.0)
        return middleware

    def backoff_delay(self, request: Request, response: Response) -> float:
        """How long to wait before retrying ``request`` after ``response``."""
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked is None:
            asked = self.backoff_base * 2 ** request.meta.get("retry_times", 0)
        return min(asked, self.backoff_max)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in BACKOFF_STATUSES or request.meta.get("dont_retry", False):
            return super().process_response(request, response)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = self.backoff_delay(request, response)
        self.crawler.stats.inc_value("mizan/backoff/count")
        self.crawler.stats.inc_value("mizan/backoff/seconds", delay)
        logger.info("HTTP %s on %s: backing off %.1f s", response.status, request.url, delay)
        engine = self.crawler.engine
        engine.pause()
        try:
            await asyncio.sleep(delay)
        finally:
            engine.unpause()
        return retry
