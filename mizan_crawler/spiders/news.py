"""``news``: the scheduled crawl. Fetches only articles the store does not have yet.

    scrapy crawl news [-a since=DATE|DATETIME] [-a refresh=1]

It reads the RSS feed, the recent-news sitemap and the latest-news listing, page after page,
back to the oldest point of the timeline no run has read yet, as the coverage ledger in the store
says (see ``ledger.py``): on the first run, a horizon (48 hours before the newest listed article,
or the store's newest article less a margin, or ``-a since``); after that, wherever earlier runs
stopped, whatever stopped them. What this run reads for sure (every article on the pages it
walked stored, or rightly absent) is written to the ledger with the articles themselves, so a
crawler that was down for days, or a catch-up cut short, is completed by the next runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, UsageError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from .. import ledger
from ..dates import TEHRAN, DateParseError, day_start, parse_day, parse_jalali
from ..items import Article
from ..pages.discovery import (
    LISTING_LINKS,
    Entry,
    article_links,
    listing_pages,
    parse_feed,
    parse_listing,
    parse_sitemap,
)
from ..pages.tree import page_selector
from ..request_filter import short_link_path
from .base import MizanSpider
from .sources import FAILED_REASON, DiscoverySources
from .walk import ListedPage, ListingWalk

FEED_PATH = "/fa/rss/allnews"
NEWS_SITEMAP_PATH = "/fa-sitemap-news"
LISTING_PATH = "/fa/allnews?p={page}"
SOURCES = ("feed", "news_sitemap", "listing")
KEY = "mizan_key"  # request meta: which listed article a request is for

logger = logging.getLogger(__name__)


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


def failure_reason(failure: Failure) -> str:
    """A failed request in a few words: its HTTP status, else the error."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{failure.type.__name__ if failure.type else 'error'}: {failure.getErrorMessage()}"


def entry_key(entry: Entry) -> str | None:
    """What identifies a listed article before it is fetched: its code, else its short link."""
    if entry.news_code is not None:
        return str(entry.news_code)
    return short_link_path(entry.url)


class NewsSpider(MizanSpider):
    """Incremental crawl of what is new, and of whatever earlier runs left unread."""

    name = "news"

    def __init__(self, since: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.since = int(parse_since(since).timestamp()) if since else None
        self.walk = ListingWalk()
        self.goal: int | None = None  # how far back scheduled runs must have read
        self.goal_is_new = False  # set by this run: recorded with its first mark
        self.stop_at: int | None = None
        self.covered_blocks: list[tuple[int, int]] = []
        self.pages_counted = 0
        self.walk_ended = ""
        self.newest_listed: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, NewsSpider)
        spider.sources = DiscoverySources(crawler, SOURCES)
        for handler, signal in (
            (spider.on_item_scraped, signals.item_scraped),
            (spider.on_item_dropped, signals.item_dropped),
            (spider.on_item_error, signals.item_error),
            (spider.on_request_dropped, signals.request_dropped),
            (spider.on_idle, signals.spider_idle),
        ):
            crawler.signals.connect(handler, signal=signal)
        return spider

    sources: DiscoverySources

    # Where to walk back to ---------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.knowledge.load(self.refresh)
        self._plan()
        yield scrapy.Request(
            self.base_url + FEED_PATH, callback=self.parse_feed, errback=self.on_source_error
        )
        yield scrapy.Request(
            self.base_url + NEWS_SITEMAP_PATH,
            callback=self.parse_sitemap,
            errback=self.on_source_error,
        )
        yield self._listing(1)

    def _plan(self) -> None:
        """The goal and the point this walk must get back to, from the ledger."""
        settings, marks = self.crawler.settings, self.knowledge.ledger
        margin = int(settings.getfloat("MIZAN_NEWS_MARGIN_HOURS") * 3600)
        self.covered_blocks = ledger.timeline(marks)
        self.goal = ledger.goal(marks)
        if self.goal is None and self.knowledge.newest_trusted is not None:
            self.goal, self.goal_is_new = self.knowledge.newest_trusted - margin, True
        if self.since is not None:
            self.stop_at = self.since
        elif self.goal is not None:
            covered_to = ledger.reach(marks, self.goal).covered_to
            self.stop_at = self.goal if covered_to is None else covered_to - margin
        logger.info(
            "Reading the listing back to %s",
            ledger.moment(self.stop_at) if self.stop_at is not None else "the horizon",
        )

    # Discovery pages ---------------------------------------------------------------------------

    def _listing(self, page: int) -> scrapy.Request:
        url = self.base_url + LISTING_PATH.format(page=page)
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.on_source_error, cb_kwargs={"page": page}
        )

    def _trusted(self, entries: list[Entry]) -> dict[str | None, int | None]:
        """Each entry's listed instant (epoch), with dates from the future left out, counted and
        logged: they are never stopping points or ledger marks."""
        limit, epochs = self.knowledge.future_limit(), {}
        for entry in entries:
            epoch = int(entry.published.timestamp()) if entry.published else None
            if epoch is not None and epoch > limit:
                self.crawler.stats.inc_value("mizan/discovery/future_dated")
                logger.warning(
                    "Listed with a date in the future, not trusted: %s (%s)",
                    entry.url,
                    entry.published.isoformat() if entry.published else "",
                )
                epoch = None
            epochs[entry_key(entry)] = epoch
        return epochs

    def _articles(self, entries: list[Entry]) -> Iterator[scrapy.Request]:
        """A request for each listed article the store lacks, tracked by the walk."""
        for entry in entries:
            key = entry_key(entry)
            if key is None:
                continue
            request = self.article_request(entry.url, meta={KEY: key})
            if request is not None:
                self.walk.sent(key)
                yield request

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        entries = parse_feed(response.body, response.url)
        self.sources.found("feed", len(entries), response.url, "no <item> with a link in the feed")
        yield from self._articles(entries)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        entries = parse_sitemap(response.body, response.url)[1]
        self.sources.found("news_sitemap", len(entries), response.url, "no <url> in the sitemap")
        yield from self._articles(entries)

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        entries, fallback = self._listed(response, page)
        epochs = self._trusted(entries)
        yield from self._articles(entries)
        keys = [key for key in (entry_key(entry) for entry in entries) if key is not None]
        dated = [epoch for epoch in epochs.values() if epoch is not None]
        self.walk.add_page(
            ListedPage(page, keys, dated), {k: v for k, v in epochs.items() if k is not None}
        )
        self._advance()
        if page == 1 and dated:
            self.newest_listed = max(dated)
        if self.stop_at is None and dated:  # a first run: the horizon counts from the newest listed
            hours = self.crawler.settings.getfloat("MIZAN_NEWS_HORIZON_HOURS")
            self.goal = self.stop_at = max(dated) - int(hours * 3600)
            self.goal_is_new = True
        if not self._covered(dated):
            self.pages_counted += 1
        ended = self._walk_ends(response, page, entries, dated, fallback)
        if ended:
            self.walk_ended = ended
            self.crawler.stats.set_value("mizan/discovery/listing_pages", page)
            return
        yield self._listing(page + 1)

    def _listed(self, response: Response, page: int) -> tuple[list[Entry], bool]:
        """The page's listed articles; when no card selector matches (a redesign), every article
        link on the page, counted and reported by a monitor."""
        entries = parse_listing(page_selector(response), response.url)
        fallback = False
        if not entries:
            entries = article_links(page_selector(response), response.url)
            if entries:
                fallback = True
                self.crawler.stats.inc_value("mizan/discovery/listing_fallback")
                logger.error(
                    "Listing %s: no card selector matched (%s); read its %d article links instead",
                    response.url,
                    ", ".join(LISTING_LINKS),
                    len(entries),
                )
        if page == 1:
            why = f"no card selector matched ({', '.join(LISTING_LINKS)}) and no article link"
            self.sources.found("listing", len(entries), response.url, why)
        return entries, fallback

    def _covered(self, dated: list[int]) -> bool:
        """Whether a page's whole span lay in what earlier runs had read (such a page does not
        count against ``MIZAN_NEWS_MAX_PAGES``: a limited run still gets further each time)."""
        if not dated:
            return False
        low, high = min(dated), max(dated)
        return any(first <= low and high <= last for first, last in self.covered_blocks)

    def _walk_ends(
        self, response: Response, page: int, entries: list[Entry], dated: list[int], fallback: bool
    ) -> str:
        """Why paging stops after ``page`` (empty: go on)."""
        pager = listing_pages(page_selector(response))
        if not entries:
            return "empty page"
        if fallback and (self.stop_at is None or not dated):
            # No dates to stop by: stop where every linked article is stored (or at once on a
            # first run), rather than page back blindly.
            unknown = [
                e for e in entries if e.news_code and not self.knowledge.is_known(e.news_code)
            ]
            if self.stop_at is None or not unknown:
                return "reached stored articles (by news code)"
        elif dated and self.stop_at is not None and min(dated) <= self.stop_at:
            return "reached"
        if pager is not None and page >= pager[1]:
            return "last page"
        if self.pages_counted >= self.crawler.settings.getint("MIZAN_NEWS_MAX_PAGES"):
            return "page limit"
        return ""

    def on_source_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        source = "listing" if "/fa/allnews" in request.url else None
        source = source or ("feed" if request.url.endswith(FEED_PATH) else "news_sitemap")
        if source != "listing" or request.cb_kwargs.get("page") == 1:
            self.sources.failed(source, request.url, failure_reason(failure))
        else:
            self.walk_ended = f"listing page {request.cb_kwargs.get('page')} failed"
        self.on_error(failure)

    def on_idle(self, spider: scrapy.Spider) -> None:
        if self.sources.all_failed():
            logger.error("Every discovery source gave nothing: %s", self.sources.report())
            raise CloseSpider(FAILED_REASON)

    # Settling listed articles --------------------------------------------------------------

    def settle(self, meta: dict[str, Any], ok: bool) -> None:
        key = meta.get(KEY)
        if key is not None:
            self.walk.settled(key, ok)
            self._advance()

    def on_item_scraped(self, item: Any, response: Response, spider: scrapy.Spider) -> None:
        self.settle(response.meta, ok=True)

    def on_item_dropped(self, item: Any, response: Response, exception: Exception) -> None:
        self.settle(response.meta, ok=True)  # read, and its drop logged with its reason

    def on_item_error(self, item: Any, response: Response, failure: Failure) -> None:
        self.settle(response.meta, ok=False)

    def on_request_dropped(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        self.settle(request.meta, ok=True)  # stored already, or in flight under another request

    def parse_article(self, response: Response) -> Iterator[Article]:
        produced = False
        for article in super().parse_article(response):
            produced = True
            yield article
        if not produced:
            self.settle(response.meta, ok=True)

    def _advance(self) -> None:
        """Hand the span now read for sure to the ledger (written with the next store batch)."""
        span = self.walk.span()
        if span is None:
            return
        if self.goal is not None and self.goal_is_new:
            self.knowledge.cover(ledger.GOAL, self.goal, self.goal)
            self.goal_is_new = False
        self.knowledge.cover("news", *span)

    # The end -----------------------------------------------------------------------------------

    def closed(self, reason: str) -> None:
        """Say how much of the timeline is read, and what is left for the next run."""
        stats = self.crawler.stats
        span = self.walk.span()
        written = [
            mark
            for mark in self.knowledge.ledger
            if mark not in self.knowledge.pending_marks.values()
        ]
        if span is not None:
            stats.set_value(
                "mizan/ledger/read", f"{ledger.moment(span[0])} to {ledger.moment(span[1])}"
            )
        if self.goal is None:
            return
        tops = [last for _, last in ledger.timeline(written)]
        top = max([self.goal, *tops, self.newest_listed or self.goal])
        left = ledger.holes(written, self.goal, top)
        if left:
            hours = sum(last - first for first, last in left) / 3600
            described = "; ".join(f"{ledger.moment(a)} to {ledger.moment(b)}" for a, b in left)
            stats.set_value("mizan/ledger/unread", f"{described} ({hours:.1f} h)")
            logger.warning(
                "Coverage: not yet read %s (%.1f h of the timeline); the next run reads it%s",
                described,
                hours,
                f" (this walk ended: {self.walk_ended})" if self.walk_ended else "",
            )
        else:
            stats.set_value("mizan/ledger/unread", "none")
