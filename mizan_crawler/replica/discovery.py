"""Routes a discovery spider starts from: listings, the archive, RSS, sitemaps and robots.txt.

Every route sees only what is published at the server's clock, and finds it by binary search on
publication time, so a request never walks the whole corpus. Withdrawn stories are left out of
every list, as the CMS's published set and the ground truth leave them out: a crawler meets them
only through their own URLs, which answer the CMS error page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING

from . import feeds, jalali, render, sitemap_quirks
from .corpus import EDIT_WINDOW, ReplicaArticle, lastmod
from .replies import Reply, html, not_found, plain, xml
from .words import SERVICES

if TYPE_CHECKING:
    from .server import ReplicaServer

Query = dict[str, list[str]]

LISTING_PAGE_SIZE = 30
ARCHIVE_PAGE_SIZE = 100
ARCHIVE_MAX_PAGE_SIZE = 200
RSS_SIZE = 30
NEWS_SITEMAP_WINDOW = timedelta(hours=48)
NEWS_SITEMAP_MINIMUM = 20
RSS_TYPE = "application/rss+xml; charset=utf-8"
SERVICE_NAMES = {slug: name for name, slug, _ in SERVICES}
SERVICE_PATH = "/fa/(?P<service>" + "|".join(map(re.escape, SERVICE_NAMES)) + ")/?"


def int_param(query: Query, name: str, default: int) -> int:
    """The integer parameter ``name``; ``default`` when absent, 0 when not a number."""
    try:
        return int(query.get(name, [str(default)])[0])
    except ValueError:
        return 0


def _newest_first(span: range) -> range:
    return span[::-1]


def _articles(server: ReplicaServer, indices: Iterable[int]) -> list[ReplicaArticle]:
    """The articles at ``indices`` as listings print them."""
    return [server.shown(server.build(index)) for index in indices]


def _live(server: ReplicaServer, span: range) -> Iterator[ReplicaArticle]:
    """The articles of ``span`` (in its order) that were not withdrawn, built one at a time."""
    return map(server.build, server.catalog.live(span))


def _listing(
    server: ReplicaServer, indices: Iterator[int], total: int, page: int, heading: str
) -> Reply:
    """One page of 30 from ``indices`` (newest first); 404 outside the pages that exist."""
    pages = math.ceil(total / LISTING_PAGE_SIZE)
    if not 1 <= page <= pages:
        return not_found()
    start = (page - 1) * LISTING_PAGE_SIZE
    chosen = _articles(server, islice(indices, start, start + LISTING_PAGE_SIZE))
    page_html = render.listing_page(
        chosen,
        page,
        pages,
        heading,
        short_links=server.short_links,
        redesigned=server.listing_redesign,
    )
    return html(200, page_html)


def allnews(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/fa/allnews?p=N``: every published article, newest first."""
    span = range(server.published_count)
    indices = server.catalog.live(_newest_first(span))
    total = server.catalog.live_count(span)
    return _listing(server, indices, total, int_param(query, "p", 1), "آخرین اخبار")


def service(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/fa/{service}?p=N``: the service's published articles, newest first."""
    slug, end = match.group("service"), server.published_count
    indices = server.catalog.service_live(slug, end)
    total = server.catalog.service_live_count(slug, end)
    return _listing(server, indices, total, int_param(query, "p", 1), SERVICE_NAMES[slug])


def _day_param(query: Query, name: str) -> tuple[int, int, int] | None:
    values = query.get(name)
    return jalali.parse_date(values[0]) if values else None


def archive_span(server: ReplicaServer, query: Query) -> range:
    """Published articles whose Jalali day lies in ``[from_date, to_date]`` (missing: open)."""
    first, last = _day_param(query, "from_date"), _day_param(query, "to_date")
    low = 0 if first is None else server.corpus.count_before(jalali.day_start(*first))
    high = server.published_count
    if last is not None:
        high = min(high, server.corpus.count_before(jalali.next_day_start(*last)))
    return range(low, max(low, high))


def archive(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/fa/archive?from_date=&to_date=&rpp=&p=``: past the last page, a page with no items."""
    size = int_param(query, "rpp", ARCHIVE_PAGE_SIZE)
    size = min(size, ARCHIVE_MAX_PAGE_SIZE) if size >= 1 else ARCHIVE_PAGE_SIZE
    page = max(1, int_param(query, "p", 1))
    span = archive_span(server, query)
    indices = server.catalog.live(_newest_first(span))
    chosen = _articles(server, islice(indices, (page - 1) * size, page * size))
    pages = max(1, math.ceil(server.catalog.live_count(span) / size))
    return html(200, render.listing_page(chosen, page, pages, "آرشیو اخبار"))


def rss(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/fa/rss/allnews``: the newest 30 published articles."""
    newest = map(server.shown, _live(server, _newest_first(range(server.published_count))))
    text = feeds.rss(
        islice(newest, RSS_SIZE), server.base_url, server.now, short_links=server.short_links
    )
    return xml(text, RSS_TYPE)


def _entries(server: ReplicaServer, articles: Iterable[ReplicaArticle]) -> Iterator[feeds.Entry]:
    return ((article, lastmod(article, server.now)) for article in articles)


def news_sitemap(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/fa-sitemap-news``: the last 48 hours, and never fewer than the newest 20."""
    cutoff, recent = server.now - NEWS_SITEMAP_WINDOW, []
    for index in server.catalog.live(_newest_first(range(server.published_count))):
        if server.corpus.published(index) < cutoff and len(recent) >= NEWS_SITEMAP_MINIMUM:
            break
        recent.append(server.build(index))
    return xml(feeds.news_sitemap(_entries(server, recent), server.base_url))


def month_span(server: ReplicaServer, month: jalali.Month) -> range:
    """Indices of the published articles of a Jalali month."""
    start, end = jalali.month_span(month)
    low = server.corpus.count_before(start)
    high = min(server.corpus.count_before(end), server.published_count)
    return range(low, max(low, high))


def _month_lastmod(server: ReplicaServer, span: range) -> datetime:
    """The latest lastmod of the live articles in ``span``, without building them.

    Once every edit of the span is past, the answer no longer depends on the clock and is cached
    (a test's edits are added to it).
    """
    if server.corpus.published(span[-1]) + EDIT_WINDOW <= server.now:
        edited = [server.lastmod_of(index) for index in _edited(server, span)]
        return max([server.catalog.latest_change(span), *edited])
    return max(server.lastmod_of(index) for index in server.catalog.live(span))


def _edited(server: ReplicaServer, span: range) -> Iterator[int]:
    """Indices of ``span`` a test edited, not withdrawn."""
    live = server.catalog.live(span)
    edited = {server.corpus.index_of(code) for code in server.edited_codes()}
    return (index for index in live if index in edited) if edited else iter(())


def _months(server: ReplicaServer) -> Iterator[tuple[jalali.Month, range]]:
    """Every Jalali month with live published articles, oldest first, with its indices."""
    if server.published_count == 0:
        return
    first = jalali.month_of(server.corpus.published(0))
    last = jalali.month_of(server.corpus.published(server.published_count - 1))
    for month in jalali.months(first, last):
        span = month_span(server, month)
        if server.catalog.live_count(span):
            yield month, span


def archive_sitemap(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/fa-sitemap-newsarchive``: the index of months; with ``?y=&m=``, one month's urlset."""
    quirks = server.sitemap_quirks
    if "y" not in query and "m" not in query:
        if quirks.failing_index:
            return sitemap_quirks.failing_index()
        months = [(month, _month_lastmod(server, span)) for month, span in _months(server)]
        if quirks.duplicate_reference and months:
            months.append(months[-1])
        return xml(feeds.sitemap_index(months, server.base_url, quirks.month_path))
    year, number = int_param(query, "y", 0), int_param(query, "m", 0)
    try:
        span = month_span(server, (year, number))
    except ValueError:  # jdatetime refuses month 13, year 0 and the like
        return not_found()
    if not server.catalog.live_count(span):
        return not_found()
    entries = _entries(server, _live(server, span))
    return xml(feeds.urlset(entries, server.base_url, quirks.publication_dates))


def archive_sitemap_gzip(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/fa-sitemap-newsarchive.xml.gz?y=&m=``: a month's urlset as a gzip file, when the
    ``gzip`` quirk is on (the index then points here)."""
    if not server.sitemap_quirks.gzip or "y" not in query or "m" not in query:
        return not_found()
    return sitemap_quirks.gzipped(archive_sitemap(server, match, query))


def robots(server: ReplicaServer, match: re.Match[str], query: Query) -> Reply:
    """``/robots.txt``: the CMS default rules (and a Crawl-delay when set) and both sitemaps."""
    return plain(feeds.robots(server.base_url, server.archive_allowed, server.crawl_delay))


ROUTES = [
    (re.compile(r"/fa/allnews/?"), allnews),
    (re.compile(SERVICE_PATH), service),
    (re.compile(r"/fa/archive/?"), archive),
    (re.compile(r"/fa/rss/allnews/?"), rss),
    (re.compile(r"/fa-sitemap-news/?"), news_sitemap),
    (re.compile(r"/fa-sitemap-newsarchive/?"), archive_sitemap),
    (re.compile(re.escape(sitemap_quirks.GZIP_PATH)), archive_sitemap_gzip),
    (re.compile(r"/robots\.txt"), robots),
]
