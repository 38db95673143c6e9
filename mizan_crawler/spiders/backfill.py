"""``backfill``: every article *published* in a range of days, for history.

    scrapy crawl backfill -a from=2024-06-01 -a to=2024-06-30      (or Jalali: 1403-03-12)
    scrapy crawl backfill -a from=... -a to=... -a source=archive  (the /fa/archive listings)
    scrapy crawl backfill -a codes=4776000-4776500                 (a news-code range)
    ... -a refresh=1        re-fetch stored articles too, so edits become revisions
    ... -a refresh=changed  re-fetch only stored articles whose sitemap lastmod moved since they
                            were fetched, and those of the range gone from the urlsets (withdrawn?)
    ... -a refresh=missing  only the latter: stored articles missing from the urlsets read, and
                            withdrawn ones listed again, fetched to confirm

Days are inclusive, in Iran time. Stored articles are not fetched again, so a backfill killed at
any moment and started again with the same arguments carries on where it stopped: the store is
the checkpoint, which survives SIGKILL. A discovery source (the sitemap index, a urlset, the
archive listings) that fails or lists nothing is named in the log and the stats, and the backfill
ends ``discovery_failed`` once it has fetched what the others gave: never green with a hole.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import jdatetime
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, UsageError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from ..dates import DateParseError, day_end, day_start, parse_day
from ..items import Article
from ..pages.discovery import (
    Entry,
    SitemapBodyError,
    SitemapRef,
    listing_pages,
    parse_listing,
    parse_sitemap,
    sitemap_body,
)
from ..pages.tree import page_selector
from .base import MizanSpider
from .sitemap_plan import (
    Plan,
    chain_stops,
    edited_since_fetched,
    plan_sitemap_fetches,
    urlset_month,
)

SITEMAP_INDEX_PATH = "/fa-sitemap-newsarchive"
ARCHIVE_PATH = "/fa/archive"
ARCHIVE_PAGE_SIZE = 100
CODE_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")
MAX_CODE_RANGE = 5_000_000
# Codes in a row published after the range before the walk above the ceiling stops. Such a run
# below a code of the range can only be drafts still unpublished at the range's end: the draft
# share of the codes created in the hours a draft waits. 8% drafts (as measured), 40 codes an hour
# and 12-hour waits give under 40 at the very worst; 50 is a margin over that, and costs at most
# 50 requests once per backfill.
DEFAULT_LOOKAHEAD = 50
SOURCE_STAT = "mizan/discovery/source/{source}/{what}"
# -a refresh= values that re-fetch some stored articles, chosen from the urlsets (see _refresh_plan).
SELECTIVE_REFRESH = ("changed", "missing")
REFRESH_WORDS = ("1", "true", "yes", "on", "0", "false", "no", "off")
DISCOVERY_FAILED = "discovery_failed"


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


# Pages rightly absent: they leave no hole in what a backfill read.
GONE_SKIPS = frozenset({"mizan/skipped/http_404", "mizan/skipped/http_410"})


def describe_failure(failure: Failure) -> str:
    """A failed request's error in a few words: the HTTP status, or the exception."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{failure.type.__name__ if failure.type else 'error'}: {failure.getErrorMessage()}"


def _jalali_day(moment: datetime) -> str:
    local = jdatetime.date.fromgregorian(date=moment.date())
    return f"{local.year:04d}/{local.month:02d}/{local.day:02d}"


class BackfillSpider(MizanSpider):
    """History by sitemap archive (default), archive listings, or news-code range."""

    name = "backfill"
    # With MIZAN_REDIS_URL the whole plan is queued at once (see _window): these keep no state.
    shared_callbacks = MizanSpider.shared_callbacks | {"parse_ranged", "on_ranged_error"}

    def __init__(
        self,
        source: str = "sitemap",
        codes: str | None = None,
        refresh: str | None = None,
        **kwargs: Any,
    ) -> None:
        since, until = kwargs.pop("from", None), kwargs.pop("to", None)
        selective = str(refresh).strip().lower() if refresh is not None else None
        self.selective = selective if selective in SELECTIVE_REFRESH else None
        super().__init__(refresh=None if self.selective else refresh, **kwargs)
        self.codes = _code_range(codes) if codes else None
        self.range = None if self.codes else _day_range(since, until)
        if source not in ("sitemap", "archive"):
            raise UsageError(f"-a source={source!r}: use sitemap (default) or archive")
        self.check_arguments({"refresh": refresh or "", "source": source, "codes": codes or ""})
        self.source = source
        # Per listed code its lastmod, kept only when a refresh chooses from the urlsets.
        self.listed: dict[int, datetime | None] = {}
        self.urlsets_pending: set[str] = set()  # requested urlsets not yet answered
        self.planned = False
        # Only what planning needs, per news code: a sitemap may list hundreds of thousands.
        self.lastmods: dict[int, datetime | None] = {}  # entries without a publication date
        self.published: dict[int, datetime] = {}  # entries with one
        self.pending: deque[int] = deque()  # planned codes not yet requested
        self.chain: deque[int] = deque()
        self.after_in_a_row = 0  # chain codes published after the range since the last one in it
        self.stored_epochs: dict[int, int | None] = {}
        self.failed_sources: dict[str, str] = {}  # discovery source: its error

    @classmethod
    def check_arguments(cls, arguments: dict[str, str]) -> None:
        """``-a refresh=`` is 1 (or 0), ``changed`` or ``missing``; the last two choose from the
        urlsets, so they need the sitemap source and a range of days."""
        refresh = arguments.get("refresh", "").strip().lower()
        if refresh and refresh not in (*REFRESH_WORDS, *SELECTIVE_REFRESH):
            raise UsageError(
                f"-a refresh={refresh}: use 1 (every stored article), changed or missing",
                print_help=False,
            )
        sitemap = arguments.get("source", "sitemap") == "sitemap" and not arguments.get("codes")
        if refresh in SELECTIVE_REFRESH and not sitemap:
            raise UsageError(
                f"-a refresh={refresh} needs the sitemap source and a range of days",
                print_help=False,
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BackfillSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, BackfillSpider)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.knowledge.load(self.refresh)
        if self.codes is not None:
            for request in self._code_requests():
                yield request
            return
        if self.source == "archive":
            yield self._archive_page(1)
            return
        yield scrapy.Request(
            self.base_url + SITEMAP_INDEX_PATH,
            callback=self.parse_index,
            errback=self.on_index_error,
        )

    # Code ranges ------------------------------------------------------------------------------

    def _code_requests(self) -> Iterator[scrapy.Request]:
        assert self.codes is not None
        wanted = [code for code in self.codes if not self.knowledge.is_known(code)]
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
        entries = parse_listing(page_selector(response), response.url)
        self._found("archive", len(entries))
        pager = listing_pages(page_selector(response))
        if page == 1 and not entries and pager is None:
            self._failed("archive", response.url, "the first page lists no article and no pager")
        for entry in entries:
            if entry.published is None or entry.published in self.range:
                yield from self._fetch(entry.url)
        if entries and (pager is None or page < pager[1]):
            yield self._archive_page(page + 1)

    def on_archive_error(self, failure: Failure) -> None:
        if "robots.txt" in str(failure.value):
            message = (
                "the archive pages are disallowed by robots.txt; use the default sitemap source"
            )
            self.logger.error(message)
            raise CloseSpider("archive_disallowed")
        self._failed("archive", failure.request.url, describe_failure(failure))  # type: ignore[attr-defined]

    # Discovery sources ------------------------------------------------------------------------

    def _found(self, source: str, count: int) -> None:
        """Count what a discovery source listed (``mizan/discovery/source/<source>/found``)."""
        self.crawler.stats.inc_value(SOURCE_STAT.format(source=source, what="found"), count)

    def _failed(self, source: str, url: str, error: str) -> None:
        """A source that failed or listed nothing: one ERROR line naming it, its URL and error,
        ``mizan/discovery/source/<source>/failed``, and a crawl that ends ``discovery_failed``."""
        self.logger.error("Discovery source %s failed at %s: %s", source, url, error)
        known = self.failed_sources.get(source)
        self.failed_sources[source] = f"{known}; {url}: {error}" if known else f"{url}: {error}"
        self.crawler.stats.set_value(
            SOURCE_STAT.format(source=source, what="failed"), self.failed_sources[source]
        )

    def on_idle(self, spider: scrapy.Spider) -> None:
        """When nothing is left to do: plan from what came back if some urlset request vanished
        (dropped by a middleware, never answered); close ``discovery_failed`` if a source failed."""
        if self.urlsets_pending and not self.planned:
            for url in self.urlsets_pending:
                self._failed("urlsets", url, "the request vanished: never answered, never failed")
            engine = self.crawler.engine
            assert engine is not None
            for request in self._plan():
                engine.crawl(request)
            raise DontCloseSpider
        if self.failed_sources:
            raise CloseSpider(DISCOVERY_FAILED)
        self._record_coverage()

    def _record_coverage(self) -> None:
        """A backfill that ends with every planned article settled is a span of the ledger
        (written with the last batch): the range of days, or the codes. One that could not fetch
        some article records nothing; the store still resumes it."""
        stats = self.crawler.stats.get_stats()
        unfetched = sum(
            value
            for key, value in stats.items()
            if key.startswith("mizan/failed/")
            or (key.startswith("mizan/skipped/http_") and key not in GONE_SKIPS)
        )
        if unfetched:
            self.logger.warning(
                "%d article pages could not be fetched: this backfill is not recorded as complete "
                "in the coverage ledger (running it again fetches what is missing)",
                unfetched,
            )
        elif self.codes is not None:
            self.knowledge.cover("codes", self.codes.start, self.codes.stop - 1)
        elif self.range is not None:
            first, last = int(self.range.start.timestamp()), int(self.range.end.timestamp())
            self.knowledge.cover("backfill", first, last)

    # Sitemap archive --------------------------------------------------------------------------

    def parse_index(self, response: Response) -> Iterator[scrapy.Request]:
        assert self.range is not None
        try:
            refs = self._sitemap(response)[0]
        except SitemapBodyError as error:
            self._failed("sitemap_index", response.url, str(error))
            return
        unique = list({canonicalize_url(ref.url): ref for ref in refs}.values())
        self._found("sitemap_index", len(unique))
        if len(unique) < len(refs):
            self.crawler.stats.set_value(
                "mizan/discovery/urlset_duplicates", len(refs) - len(unique)
            )
        if not unique:
            self._failed("sitemap_index", response.url, "it lists no urlset")
            return
        pattern = re.compile(self.crawler.settings.get("MIZAN_SITEMAP_MONTH_PATTERN"))
        chosen = [ref for ref in unique if self._may_hold_range(ref, pattern)]
        self.crawler.stats.set_value("mizan/discovery/urlsets", len(chosen))
        self.urlsets_pending = {ref.url for ref in chosen}
        if not chosen:
            self.logger.warning("No urlset of the sitemap index can hold the range")
        for ref in chosen:
            yield scrapy.Request(
                ref.url,
                callback=self.parse_urlset,
                errback=self.on_urlset_error,
                cb_kwargs={"urlset": ref.url},  # kept through redirects, unlike the URL
            )

    def on_index_error(self, failure: Failure) -> None:
        self._failed("sitemap_index", failure.request.url, describe_failure(failure))  # type: ignore[attr-defined]

    def _may_hold_range(self, ref: SitemapRef, pattern: re.Pattern[str]) -> bool:
        """Skip urlsets last edited before the range, and those whose month lies outside it; a
        urlset whose URL names no month is read in full (counted)."""
        assert self.range is not None
        if ref.lastmod is not None and ref.lastmod < self.range.start:
            return False
        month = urlset_month(ref.url, pattern)
        if month is None:
            self.crawler.stats.inc_value("mizan/discovery/urlsets_without_month")
            return True
        return month[0] <= self.range.end and month[1] >= self.range.start

    def _sitemap(self, response: Response) -> tuple[list[SitemapRef], list[Entry]]:
        """The sitemap in ``response``, gzip or not (raises :class:`SitemapBodyError`)."""
        max_size = response.meta.get(
            "download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        )
        body = sitemap_body(response.body, max_size)
        if body.gzipped:
            self.crawler.stats.inc_value("mizan/discovery/gzip_sitemaps")
        return parse_sitemap(body.xml, response.url)

    def parse_urlset(self, response: Response, urlset: str) -> Iterator[scrapy.Request]:
        if urlset not in self.urlsets_pending:  # already given up on in on_idle
            return
        seen_at = datetime.now(UTC).isoformat(timespec="seconds")  # before any fetch it leads to
        entries = self._urlset_entries(response, urlset)
        self._found("urlsets", len(entries))
        self.knowledge.note_sitemap_entries(urlset, entries, seen_at)
        for entry in entries:
            self._remember(entry)
        yield from self._urlset_done(urlset)

    def _urlset_entries(self, response: Response, urlset: str) -> list[Entry]:
        """The entries of a urlset; one that cannot be read or lists nothing fails ``urlsets``
        (the index names only months with articles: an empty one is a broken one)."""
        try:
            entries = self._sitemap(response)[1]
        except SitemapBodyError as error:
            self._failed("urlsets", urlset, str(error))
            return []
        if not entries:
            self._failed("urlsets", urlset, f"no entries in its {len(response.body)} bytes")
        return entries

    def _remember(self, entry: Entry) -> None:
        """What planning needs of one entry: its publication date where the sitemap gives it (a
        better source than ``lastmod``), else its ``lastmod``."""
        if entry.news_code is None:
            return
        if self.refresh or self.selective:
            self.listed[entry.news_code] = entry.lastmod
        if entry.published is not None:
            self.published[entry.news_code] = entry.published
            self.crawler.stats.inc_value("mizan/discovery/entries_with_publication_date")
        else:
            self.lastmods[entry.news_code] = entry.lastmod

    def on_urlset_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        urlset = failure.request.cb_kwargs["urlset"]  # type: ignore[attr-defined]
        if urlset in self.urlsets_pending:
            self._failed("urlsets", urlset, describe_failure(failure))
            yield from self._urlset_done(urlset)

    def _urlset_done(self, url: str) -> Iterator[scrapy.Request]:
        self.urlsets_pending.discard(url)
        if not self.urlsets_pending:
            yield from self._plan()

    def _plan(self) -> Iterator[scrapy.Request]:
        """Once every urlset is in: what to fetch, the first window of it, and the chain."""
        assert self.range is not None
        self.urlsets_pending, self.planned = set(), True
        plan: Plan = plan_sitemap_fetches(
            self.lastmods, self.range.start, self.range.end, self.published
        )
        stats = self.crawler.stats
        stats.set_value("mizan/discovery/sitemap_entries", len(self.lastmods) + len(self.published))
        stats.set_value("mizan/discovery/outside_by_lastmod", plan.excluded)
        stats.set_value("mizan/discovery/outside_by_publication_date", plan.excluded_by_date)
        self.lastmods, self.published = {}, {}
        self.pending = deque(plan.fetch)
        if self.refresh or self.selective:
            self.pending.extend(self._refresh_plan(plan))
        stats.set_value("mizan/progress/total", len(self.pending) + len(plan.chain))
        yield from self._refill(self._window())
        self.chain = deque(plan.chain)
        self.stored_epochs = self.knowledge.published_epochs(list(self.chain))
        yield from self._next_in_chain()

    def _refresh_plan(self, plan: Plan) -> list[int]:
        """Stored articles of the range to fetch again, beyond what ``refresh=1`` fetches: those
        no urlset read lists (withdrawn?), those found withdrawn that are listed again (back?),
        and with ``refresh=changed`` those whose ``lastmod`` moved since they were fetched. They
        pass the request filter (``fetch_again``); returns those the plan does not hold."""
        assert self.range is not None
        listed, self.listed = self.listed, {}
        stored = self.knowledge.stored_published_between(
            int(self.range.start.timestamp()), int(self.range.end.timestamp())
        )
        on_lists = stored & listed.keys()
        again = on_lists & self.knowledge.withdrawn
        edited: set[int] = set()
        if self.selective == "changed":
            basis = self.knowledge.fetch_basis(on_lists)
            edited = edited_since_fetched({code: listed[code] for code in on_lists}, basis)
        chosen = {"missing": self._missing(stored - on_lists), "listed_again": again}
        chosen["edited"] = edited - again
        for name, codes in chosen.items():
            self.crawler.stats.set_value(f"mizan/refresh/{name}", len(codes))
        every = set().union(*chosen.values())
        self.knowledge.fetch_again(every)
        return sorted(every - set(plan.fetch) - set(plan.chain))

    def _missing(self, unlisted: set[int]) -> set[int]:
        """Stored articles no urlset listed, to confirm a withdrawal (but not those known
        withdrawn). When a discovery source failed, absence proves nothing: none."""
        if self.failed_sources:
            self.logger.warning(
                "A discovery source failed: stored articles missing from the urlsets are not "
                "looked for in this run"
            )
            return set()
        return unlisted - self.knowledge.withdrawn

    def _lookahead(self) -> int:
        return self.crawler.settings.getint("MIZAN_BACKFILL_LOOKAHEAD", DEFAULT_LOOKAHEAD)

    def _next_in_chain(self) -> Iterator[scrapy.Request]:
        """Codes above the last one surely published in range, fetched in rising order until
        ``MIZAN_BACKFILL_LOOKAHEAD`` in a row are published after the range (see sitemap_plan)."""
        assert self.range is not None
        while self.chain:
            code = self.chain.popleft()
            epoch = self.stored_epochs.get(code)
            if self.knowledge.is_known(code) and epoch is not None:
                self._chain_step(after=epoch > self.range.end.timestamp())
                continue
            request = self.article_request(
                self._article_url(code), callback=self.parse_chained, errback=self.on_chain_error
            )
            if request is not None:
                if self.after_in_a_row:  # the strict rule would have stopped before this one
                    self.crawler.stats.inc_value("mizan/discovery/lookahead_fetches")
                yield request
                return

    def _chain_step(self, after: bool | None) -> None:
        """One code of the chain seen: published after the range, not, or unknown (no article)."""
        if after is None:
            return
        if not after:
            self.after_in_a_row = 0
            return
        self.after_in_a_row += 1
        if chain_stops(self.after_in_a_row, self._lookahead()):
            self.chain.clear()

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

    def _in_range(self, response: Response) -> tuple[list[Article], bool | None]:
        """The page's article if published in the range, and whether it was published after it
        (``None`` when the page shows no publication time)."""
        assert self.range is not None
        kept: list[Article] = []
        after: bool | None = None
        for article in self.parse_article(response):
            moment = datetime.fromisoformat(article.published_at) if article.published_at else None
            if moment is None or moment in self.range:
                kept.append(article)  # undated: kept (published_at null), reported
                after = False if moment is not None else after
            else:
                self.crawler.stats.inc_value("mizan/discovery/outside_range")
                after = moment > self.range.end
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
        if kept and self.after_in_a_row:  # found only because the walk looked ahead
            self.crawler.stats.inc_value("mizan/discovery/lookahead_found", len(kept))
        yield from kept
        self._chain_step(after)
        yield from self._next_in_chain()

    def on_chain_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        self.on_error(failure)
        yield from self._next_in_chain()
