"""What every Mizan spider shares: the site it crawls and how article pages become items."""

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
from ..pages.article import NotAnArticle, parse_article

# The site's older domain serves the same articles; both count as on-site.
SITE_ALIASES = {"mizanonline.ir": ("mizanonline.ir", "mizanonline.com")}


def allowed_domains_for(base_url: str) -> list[str]:
    """The hosts a crawl of ``base_url`` may visit."""
    host = urlsplit(base_url).hostname or ""
    bare = host.removeprefix("www.")
    return list(SITE_ALIASES.get(bare, (bare or host,)))


class MizanSpider(scrapy.Spider):
    """Base class: reads ``MIZAN_BASE_URL``, parses articles, counts what is not one."""

    base_url: str

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MizanSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = crawler.settings.get("MIZAN_BASE_URL").rstrip("/")
        spider.allowed_domains = allowed_domains_for(spider.base_url)
        return spider

    def parse_article(self, response: Response) -> Iterator[Article]:
        """Yield the page's ``Article``; count and log a page that is not one."""
        try:
            page = parse_article(
                response.selector,
                url=response.url,
                base_url=self.base_url,
                crawled_at=datetime.now(UTC).isoformat(timespec="seconds"),
                status=response.status,
            )
        except NotAnArticle as exc:
            self.skip(exc.reason, response.url)
            return
        for kind, message in page.problems:
            self.crawler.stats.inc_value(f"mizan/problem/{kind}")
            self.logger.error("%s on %s: %s", kind, response.url, message)
        self.crawler.stats.inc_value(f"mizan/articles/{page.article.kind}")
        yield page.article

    def skip(self, reason: str, url: str) -> None:
        """Count a fetched page that yields no article, under a named reason."""
        self.crawler.stats.inc_value(f"mizan/skipped/{reason}")
        self.logger.warning("No article at %s (%s)", url, reason)

    def on_error(self, failure: Failure) -> None:
        """Errback: HTTP errors and network failures are counted by reason, never silent."""
        if failure.check(HttpError):
            response = failure.value.response
            self.skip(f"http_{response.status}", response.url)
            return
        request = failure.request  # type: ignore[attr-defined]
        reason = failure.type.__name__ if failure.type else "error"
        self.crawler.stats.inc_value(f"mizan/failed/{reason}")
        self.logger.error("Failed %s: %s", request.url, failure.getErrorMessage())
