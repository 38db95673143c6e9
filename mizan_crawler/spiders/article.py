"""``article``: fetch the article pages it is given and yield one ``Article`` each.

    scrapy crawl article -a urls=URL[,URL...]
    scrapy crawl article -a url_file=PATH      (one URL a line; blank lines and # comments skipped)

A bare news code (``-a urls=4776124``) stands for that article on ``MIZAN_BASE_URL``.

    scrapy parse --spider=article URL          (the record of one page, with its problems)

``scrapy parse`` makes the spider without URLs and fetches its own, so a crawl without URLs is
refused before it starts (``check_arguments``, called by the crawl command), not when the spider
is made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider, UsageError
from scrapy.http import Response

from ..items import Article
from ..pages.article import canonical_url
from .base import MizanSpider, is_on_site

NO_URLS = "give article URLs with -a urls=URL[,URL...] or -a url_file=PATH"


def read_url_args(urls: str | None, url_file: str | None) -> list[str]:
    """The URLs from ``-a urls`` (comma-separated) and ``-a url_file``, in order, without repeats."""
    found = [url.strip() for url in (urls or "").split(",")]
    if url_file:
        lines = Path(url_file).read_text(encoding="utf-8").splitlines()
        found.extend(line.strip() for line in lines if not line.lstrip().startswith("#"))
    return list(dict.fromkeys(url for url in found if url))


class ArticleSpider(MizanSpider):
    """Fetches given article URLs."""

    name = "article"

    def __init__(self, urls: str | None = None, url_file: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.refresh = True  # pages asked for by name are fetched even when the store has them
        self.start_urls_given = read_url_args(urls, url_file)

    @classmethod
    def check_arguments(cls, arguments: dict[str, str]) -> None:
        """A crawl needs URLs: without any, or with a file that cannot be read, it is a usage
        error (exit status 2) before anything starts."""
        url_file = arguments.get("url_file")
        try:
            given = read_url_args(arguments.get("urls"), url_file)
        except OSError as error:
            raise UsageError(
                f"-a url_file={url_file}: {error.strerror}", print_help=False
            ) from None
        if not given:
            raise UsageError(NO_URLS, print_help=False)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.start_urls_given:  # a crawl started without the crawl command's check
            self.logger.error(NO_URLS)
            raise CloseSpider("no_urls")
        self.crawler.stats.set_value("mizan/progress/total", len(self.start_urls_given))
        for given in self.start_urls_given:
            url = canonical_url(self.base_url, int(given), None) if given.isdigit() else given
            if not is_on_site(url, self.allowed_domains):
                self.skip("offsite", url)
                continue
            # An article URL in any form becomes its one canonical request; others go as given.
            yield self.article_request(url) or self._request(url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Article]:
        """``scrapy parse``'s default callback: the page's record, its problems logged."""
        return self.parse_article(response)
