"""``backfill``: every article *published* in a range of days, for history.

    scrapy crawl backfill -a from=2024-06-01 -a to=2024-06-30      (or Jalali: 1403-03-12)
    scrapy crawl backfill -a from=... -a to=... -a source=archive  (the /fa/archive listings)
    scrapy crawl backfill -a codes=4776000-4776500                 (a news-code range)
    ... -a refresh=1   re-fetch stored articles too, so edits become revisions

Days are inclusive, in Iran time. Stored articles are not fetched again, so a backfill killed at
any moment and started again with the same arguments carries on where it stopped: the store is
the checkpoint, which survives SIGKILL.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import jdatetime
import scrapy
from scrapy.exceptions import CloseSpider, UsageError
from scrapy.http import Response
from twisted.python.failure import Failure

from ..dates import DateParseError, day_end, day_start, parse_day
from ..items import Article
from ..pages.discovery import SitemapRef, listing_pages, parse_listing, parse_sitemap
from .base import MizanSpider
from .sitemap_plan import Plan, plan_sitemap_fetches, urlset_month

SITEMAP_INDEX_PATH = "/fa-sitemap-newsarchive"
ARCHIVE_PATH = "/fa/archive"
ARCHIVE_PAGE_SIZE = 100
CODE_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")
MAX_CODE_RANGE = 5_000_000


@dataclass(frozen=True)
class DayRange:
    """The inclusive range of publication instants asked for."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end


def _day_range(since: str | None, until: str | None) -> DayRange:
    if not since or not until:
        raise UsageError(
            "give -a from=DAY -a to=DAY (2024-06-01 or 1403-03-12), or -a codes=FIRST-LAST"
        )
    try:
        first, last = parse_day(since), parse_day(until)
    except DateParseError as error:
        raise UsageError(f"bad date: {error}") from None
    if first > last:
        raise UsageError(f"-a from={since} is after -a to={until}")
    return DayRange(day_start(first), day_end(last))


def _code_range(text: str) -> range:
    match = CODE_RANGE.fullmatch(text.strip())
    if not match or int(match.group(1)) > int(match.group(2)):
        raise UsageError(f"-a codes={text!r}: use FIRST-LAST, e.g. 4776000-4776500")
    first, last = int(match.group(1)), int(match.group(2))
    if last - first >= MAX_CODE_RANGE:
        raise UsageError(f"-a codes={text!r}: at most {MAX_CODE_RANGE} codes per run")
    return range(first, last + 1)


def _jalali_day(moment: datetime) -> str:
    local = jdatetime.date.fromgregorian(date=moment.date())
    return f"{local.year:04d}/{local.month:02d}/{local.day:02d}"


class BackfillSpider(MizanSpider):
    """History by sitemap archive (default), archive listings, or news-code range."""

    name = "backfill"
    # With MIZAN_REDIS_URL the whole plan is queued at once (see _window): these keep no state.
    shared_callbacks = MizanSpider.shared_callbacks | {"parse_ranged", "on_ranged_error"}

    def __init__(self, source: str = "sitemap", codes: str | None = None, **kwargs: Any) -> None:
        since, until = kwargs.pop("from", None), kwargs.pop("to", None)
        super().__init__(**kwargs)
        self.codes = _code_range(codes) if codes else None
        self.range = None if self.codes else _day_range(since, until)
        if source not in ("sitemap", "archive"):
            raise UsageError(f"-a source={source!r}: use sitemap (default) or archive")
        self.source = source
        self.urlsets_pending = 0
        # Only what planning needs, per news code: a sitemap may list hundreds of thousands.
        self.lastmods: dict[int, datetime | None] = {}
        self.pending: deque[int] = deque()  # planned codes not yet requested
        self.chain: list[int] = []
        self.stored_epochs: dict[int, int | None] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        store = self.open_store()
        try:
            self.load_known(store)
            if self.codes is not None:
                for request in self._code_requests():
                    yield request
                return
            if self.source == "archive":
                yield self._archive_page(1)
                return
            yield scrapy.Request(
                self.base_url + SITEMAP_INDEX_PATH, callback=self.parse_index, errback=self.on_error
            )
        finally:
            if store is not None:
                store.close()

    # Code ranges ------------------------------------------------------------------------------

    def _code_requests(self) -> Iterator[scrapy.Request]:
        assert self.codes is not None
        wanted = [code for code in self.codes if code not in self.known]
        self.crawler.stats.set_value("mizan/progress/total", len(wanted))
        for code in wanted:
            request = self.article_request(
                f"{self.base_url}/fa/news/{code}", meta={"expect_missing": True}
            )
            if request is not None:
                yield request

    # Archive listings -------------------------------------------------------------------------

    def _archive_page(self, page: int) -> scrapy.Request:
        assert self.range is not None
        query = {
            "service_id": -1, "sec_id": -1, "cat_id": -1, "rpp": ARCHIVE_PAGE_SIZE,
            "from_date": _jalali_day(self.range.start), "to_date": _jalali_day(self.range.end), "p": page,
        }  # fmt: skip
        return scrapy.Request(
            f"{self.base_url}{ARCHIVE_PATH}?{urlencode(query)}",
            callback=self.parse_archive,
            errback=self.on_archive_error,
            cb_kwargs={"page": page},
        )

    def parse_archive(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        assert self.range is not None
        entries = parse_listing(response.selector, response.url)
        for entry in entries:
            if entry.published is None or entry.published in self.range:
                yield from self._fetch(entry.url)
        pager = listing_pages(response.selector)
        if entries and (pager is None or page < pager[1]):
            yield self._archive_page(page + 1)

    def on_archive_error(self, failure: Failure) -> None:
        if "robots.txt" in str(failure.value):
            message = (
                "the archive pages are disallowed by robots.txt; use the default sitemap source"
            )
            self.logger.error(message)
            raise CloseSpider("archive_disallowed")
        self.on_error(failure)

    # Sitemap archive --------------------------------------------------------------------------

    def parse_index(self, response: Response) -> Iterator[scrapy.Request]:
        assert self.range is not None
        refs, _ = parse_sitemap(response.body, response.url)
        pattern = re.compile(self.crawler.settings.get("MIZAN_SITEMAP_MONTH_PATTERN"))
        chosen = [ref for ref in refs if self._may_hold_range(ref, pattern)]
        self.crawler.stats.set_value("mizan/discovery/urlsets", len(chosen))
        self.urlsets_pending = len(chosen)
        for ref in chosen:
            yield scrapy.Request(ref.url, callback=self.parse_urlset, errback=self.on_urlset_error)

    def _may_hold_range(self, ref: SitemapRef, pattern: re.Pattern[str]) -> bool:
        """Skip urlsets last edited before the range, and those whose month lies outside it."""
        assert self.range is not None
        if ref.lastmod is not None and ref.lastmod < self.range.start:
            return False
        month = urlset_month(ref.url, pattern)
        return month is None or (month[0] <= self.range.end and month[1] >= self.range.start)

    def parse_urlset(self, response: Response) -> Iterator[scrapy.Request]:
        for entry in parse_sitemap(response.body, response.url)[1]:
            if entry.news_code is not None:
                self.lastmods[entry.news_code] = entry.lastmod
        yield from self._urlset_done()

    def on_urlset_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.on_error(failure)
        yield from self._urlset_done()

    def _urlset_done(self) -> Iterator[scrapy.Request]:
        self.urlsets_pending -= 1
        if self.urlsets_pending > 0:
            return
        assert self.range is not None
        plan: Plan = plan_sitemap_fetches(self.lastmods, self.range.start, self.range.end)
        self.crawler.stats.set_value("mizan/discovery/sitemap_entries", len(self.lastmods))
        self.crawler.stats.set_value("mizan/discovery/outside_by_lastmod", plan.excluded)
        self.crawler.stats.set_value("mizan/progress/total", len(plan.fetch) + len(plan.chain))
        self.lastmods = {}
        self.pending = deque(plan.fetch)
        yield from self._refill(self._window())
        self.chain = list(plan.chain)
        self.stored_epochs = self._stored_epochs(self.chain)
        yield from self._next_in_chain()

    def _stored_epochs(self, codes: list[int]) -> dict[int, int | None]:
        store = self.open_store()
        if store is None:
            return {}
        try:
            return store.published_epochs(codes)
        finally:
            store.close()

    def _next_in_chain(self) -> Iterator[scrapy.Request]:
        """Codes above the last one surely published in range, fetched in order until one is
        published after the range: codes rise with publication time, so none after it can be in."""
        assert self.range is not None
        while self.chain:
            code = self.chain.pop(0)
            epoch = self.stored_epochs.get(code)
            if code in self.known and not self.refresh and epoch is not None:
                if epoch > self.range.end.timestamp():
                    self.chain.clear()
                continue
            request = self.article_request(
                self._article_url(code), callback=self.parse_chained, errback=self.on_chain_error
            )
            if request is not None:
                yield request
                return

    # Articles ---------------------------------------------------------------------------------

    def _article_url(self, code: int) -> str:
        return f"{self.base_url}/fa/news/{code}"

    def _window(self) -> int:
        """How many planned requests to keep queued: all of them when the queue lives in Redis,
        else ``MIZAN_BACKFILL_WINDOW``, refilled one for one as pages come back, so memory does
        not grow with the size of the range."""
        if self.crawler.settings.get("MIZAN_REDIS_URL"):
            return len(self.pending)
        return self.crawler.settings.getint("MIZAN_BACKFILL_WINDOW", 1000)

    def _refill(self, count: int) -> Iterator[scrapy.Request]:
        while count > 0 and self.pending:
            request = self.article_request(
                self._article_url(self.pending.popleft()),
                callback=self.parse_ranged,
                errback=self.on_ranged_error,
            )
            if request is not None:
                count -= 1
                yield request

    def _fetch(self, url: str) -> Iterator[scrapy.Request]:
        request = self.article_request(url, callback=self.parse_ranged)
        if request is not None:
            yield request

    def _in_range(self, response: Response) -> tuple[list[Article], bool]:
        """The page's article if published in the range, and whether it was published after it."""
        assert self.range is not None
        kept, after = [], False
        for article in self.parse_article(response):
            moment = datetime.fromisoformat(article.published_at) if article.published_at else None
            if moment is None or moment in self.range:
                kept.append(article)  # undated: kept (published_at null), reported
            else:
                self.crawler.stats.inc_value("mizan/discovery/outside_range")
                after = after or moment > self.range.end
        return kept, after

    def parse_ranged(self, response: Response) -> Iterator[Article | scrapy.Request]:
        """Articles published in the range (others were candidates only, counted), and the next
        planned request in their place."""
        yield from self._in_range(response)[0]
        yield from self._refill(1)

    def on_ranged_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.on_error(failure)
        yield from self._refill(1)

    def parse_chained(self, response: Response) -> Iterator[Article | scrapy.Request]:
        kept, after = self._in_range(response)
        yield from kept
        if after:
            self.chain.clear()
            return
        yield from self._next_in_chain()

    def on_chain_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.on_error(failure)
        yield from self._next_in_chain()
