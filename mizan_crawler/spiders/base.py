"""What every Mizan spider shares: the site, the store's view of what is already crawled, one
canonical request per article, and how article pages become items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from ..items import Article
from ..knowledge import SiteKnowledge
from ..pages.article import NotAnArticle, canonical_url, news_code_from_url, parse_article
from ..pages.tree import page_selector
from ..request_filter import short_link_path

# The live site's domains: the older one serves the same articles; both are one site.
SITE_DOMAINS = ("mizanonline.ir", "mizanonline.com")


# Answers that say the article is not there (withdrawn, or a code never given): rightly absent.
GONE_STATUSES = frozenset({404, 410})
# Skip reasons that say so; for a stored article, a withdrawal (``SiteKnowledge.note_gone``).
GONE_REASONS = frozenset({"http_404", "http_410", "cms_error_page"})


def allowed_domains_for(base_url: str) -> list[str]:
    """The hosts a crawl of ``base_url`` may visit."""
    host = (urlsplit(base_url).hostname or "").removeprefix("www.")
    return list(SITE_DOMAINS) if host in SITE_DOMAINS else [host]


def is_on_site(url: str, domains: list[str]) -> bool:
    """Whether ``url`` is on the crawled site (or the live site's domains, which it stands for)."""
    host = urlsplit(url).hostname or ""
    return any(
        host == domain or host.endswith("." + domain) for domain in (*domains, *SITE_DOMAINS)
    )


def truthy(value: str | None) -> bool:
    """A spider argument such as ``-a refresh=1`` as a bool."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class MizanSpider(scrapy.Spider):
    """Base class: reads ``MIZAN_BASE_URL``, plans with what the store knows of the site
    (``SiteKnowledge``), builds one canonical request per article and parses articles, counting
    what is not one. Whether a request is sent is decided by the request filter alone."""

    base_url: str
    refresh: bool = False
    # Callbacks (and errbacks) that keep no crawl state: in a distributed crawl any worker may
    # handle their requests; the others come back to the process that made them.
    shared_callbacks: frozenset[str] = frozenset({"parse_article", "on_error"})
    arguments: dict[str, str]  # the spider arguments as given (-a NAME=VALUE)

    def __init__(self, *args: Any, refresh: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refresh = truthy(refresh)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MizanSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.arguments = {name: str(value) for name, value in kwargs.items()}
        spider.base_url = crawler.settings.get("MIZAN_BASE_URL").rstrip("/")
        spider.allowed_domains = allowed_domains_for(spider.base_url)
        spider.knowledge = SiteKnowledge.of(crawler)
        return spider

    @classmethod
    def check_arguments(cls, arguments: dict[str, str]) -> None:
        """Refuse spider arguments no crawl can start with by raising ``UsageError``; the crawl
        command calls this before anything starts. Every argument is fine here."""

    # The store's view -----------------------------------------------------------------------

    knowledge: SiteKnowledge

    # Requests ---------------------------------------------------------------------------------

    def article_request(self, url: str, **kwargs: Any) -> scrapy.Request | None:
        """The one canonical request for the article ``url`` points at, or ``None`` when it is
        offsite, not an article link, or stored already (planning needs no request the request
        filter would drop; the filter decides for every request, this one included)."""
        stats = self.crawler.stats
        if not is_on_site(url, self.allowed_domains):
            stats.inc_value("mizan/discovery/offsite")
            return None
        code = news_code_from_url(url)
        if code is None:
            if short_link_path(url):
                stats.inc_value("mizan/discovery/short_links")
                return self._request(url, **kwargs)
            return None
        if self.knowledge.is_known(code):
            stats.inc_value("mizan/discovery/already_stored")
            return None
        return self._request(canonical_url(self.base_url, code, None), **kwargs)

    def _request(self, url: str, **kwargs: Any) -> scrapy.Request:
        kwargs.setdefault("callback", self.parse_article)
        kwargs.setdefault("errback", self.on_error)
        return scrapy.Request(url, **kwargs)

    # Parsing ----------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Article]:
        """Yield the page's ``Article``; count and log a page that is not one.

        With the web archive on, ``crawled_at`` is the fetch time its record says and
        ``archive_record`` names the record, so a reparse of the archive gives the same row."""
        meta = response.meta
        try:
            page = parse_article(
                page_selector(response),
                url=response.url,
                base_url=self.base_url,
                crawled_at=meta.get("fetched_at")
                or datetime.now(UTC).isoformat(timespec="seconds"),
                status=response.status,
                archive_record=meta.get("archive_record"),
            )
        except NotAnArticle as exc:
            self.skip(exc.reason, response.url, expected=meta.get("expect_missing", False))
            return
        for kind, message in page.problems:
            self.crawler.stats.inc_value(f"mizan/problem/{kind}")
            self.logger.error("%s on %s: %s", kind, response.url, message)
        self.crawler.stats.inc_value(f"mizan/articles/{page.article.kind}")
        yield page.article

    def skip(self, reason: str, url: str, expected: bool = False) -> None:
        """Count a fetched page that yields no article, under a named reason; a stored article
        the site answers as gone is recorded withdrawn (whatever the crawl)."""
        self.crawler.stats.inc_value(f"mizan/skipped/{reason}")
        if reason in GONE_REASONS:
            self.knowledge.note_gone(news_code_from_url(url))
        if expected:
            self.logger.debug("No article at %s (%s, expected)", url, reason)
        else:
            self.logger.warning("No article at %s (%s)", url, reason)

    def settle(self, meta: dict[str, Any], ok: bool) -> None:
        """A request ended without an item: its article is rightly absent (``ok``) or could not
        be fetched. Spiders that track what they asked for (``news``) listen here."""

    def on_error(self, failure: Failure) -> None:
        """Errback: HTTP errors and network failures are counted by reason, never silent."""
        request = failure.request  # type: ignore[attr-defined]
        expected = request.meta.get("expect_missing", False)
        if failure.check(HttpError):
            response = failure.value.response
            gone = response.status in GONE_STATUSES
            self.skip(f"http_{response.status}", response.url, expected=expected and gone)
            if not gone:  # an article that may exist was not read: an error, not a skip
                self.logger.error("Could not fetch %s: HTTP %d", response.url, response.status)
            self.settle(request.meta, ok=gone)
            return
        reason = failure.type.__name__ if failure.type else "error"
        self.crawler.stats.inc_value(f"mizan/failed/{reason}")
        self.logger.error("Failed %s: %s", request.url, failure.getErrorMessage())
        self.settle(request.meta, ok=False)
