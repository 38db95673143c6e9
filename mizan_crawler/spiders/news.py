"""``news``: the scheduled crawl. Fetches only articles the store does not have yet.

    scrapy crawl news [-a since=DATE|DATETIME] [-a refresh=1]

It reads the RSS feed, the recent-news sitemap and the latest-news listing, page after page,
until the listing reaches what the store already has (its newest publication time, less a safety
margin) or, on an empty store, a horizon (48 hours before the newest listed article, or
``-a since``). A crawler that was down for days pages back as far as its store ends, so the gap is
filled. Over an unchanged site it fetches no article page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Response

from ..dates import TEHRAN, DateParseError, day_start, parse_day, parse_jalali
from ..pages.discovery import Entry, listing_pages, parse_feed, parse_listing, parse_sitemap
from .base import MizanSpider

FEED_PATH = "/fa/rss/allnews"
NEWS_SITEMAP_PATH = "/fa-sitemap-news"
LISTING_PATH = "/fa/allnews?p={page}"


def parse_since(text: str) -> datetime:
    """``-a since``: a day (Gregorian or Jalali, from its start) or a day and time, Iran time."""
    text = text.strip()
    try:
        return day_start(parse_day(text))
    except DateParseError:
        pass
    try:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=TEHRAN)
    except ValueError:
        pass
    try:
        return parse_jalali(text).moment
    except DateParseError as error:
        raise UsageError(
            f"-a since={text!r}: use 2024-06-01, 1403-03-12 or 2024-06-01T08:00"
        ) from error


class NewsSpider(MizanSpider):
    """Incremental crawl of what is new since the last run."""

    name = "news"

    def __init__(self, since: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.since = parse_since(since) if since else None
        self.stop_at: datetime | None = None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        settings = self.crawler.settings
        store = self.open_store()
        try:
            self.load_known(store)
            newest = store.newest_published_at() if store is not None else None
        finally:
            if store is not None:
                store.close()
        if self.since is not None:
            self.stop_at = self.since
        elif newest is not None:
            margin = timedelta(hours=settings.getfloat("MIZAN_NEWS_MARGIN_HOURS"))
            self.stop_at = datetime.fromisoformat(newest) - margin
        self.logger.info(
            "Looking for articles newer than %s",
            self.stop_at.isoformat() if self.stop_at else "the horizon",
        )
        yield scrapy.Request(
            self.base_url + FEED_PATH, callback=self.parse_feed, errback=self.on_error
        )
        yield scrapy.Request(
            self.base_url + NEWS_SITEMAP_PATH, callback=self.parse_sitemap, errback=self.on_error
        )
        yield self._listing(1)

    def _listing(self, page: int) -> scrapy.Request:
        url = self.base_url + LISTING_PATH.format(page=page)
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.on_error, cb_kwargs={"page": page}
        )

    def _articles(self, entries: list[Entry]) -> Iterator[scrapy.Request]:
        for entry in entries:
            request = self.article_request(entry.url)
            if request is not None:
                yield request

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._articles(parse_feed(response.body, response.url))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._articles(parse_sitemap(response.body, response.url)[1])

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        entries = parse_listing(response.selector, response.url)
        yield from self._articles(entries)
        dated = [entry.published for entry in entries if entry.published is not None]
        if self.stop_at is None and dated:  # empty store: the horizon counts from the newest listed
            hours = self.crawler.settings.getfloat("MIZAN_NEWS_HORIZON_HOURS")
            self.stop_at = max(dated) - timedelta(hours=hours)
        pager = listing_pages(response.selector)
        last_page = pager[1] if pager else None
        reached = not dated or self.stop_at is None or min(dated) <= self.stop_at
        max_pages = self.crawler.settings.getint("MIZAN_NEWS_MAX_PAGES")
        if reached or page >= max_pages or (last_page is not None and page >= last_page):
            self.crawler.stats.set_value("mizan/discovery/listing_pages", page)
            return
        yield self._listing(page + 1)
