"""``article``: fetch the article pages it is given and yield one ``Article`` each.

    scrapy crawl article -a urls=URL[,URL...]
    scrapy crawl article -a url_file=PATH      (one URL a line; blank lines and # comments skipped)

A bare news code (``-a urls=4776124``) stands for that article on ``MIZAN_BASE_URL``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.exceptions import UsageError

from ..pages.article import canonical_url
from .base import MizanSpider, is_on_site


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
        if not self.start_urls_given:
            raise UsageError("give article URLs with -a urls=URL[,URL...] or -a url_file=PATH")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.set_value("mizan/progress/total", len(self.start_urls_given))
        for given in self.start_urls_given:
            url = canonical_url(self.base_url, int(given), None) if given.isdigit() else given
            if not is_on_site(url, self.allowed_domains):
                self.skip("offsite", url)
                continue
            # An article URL in any form becomes its one canonical request; others go as given.
            yield self.article_request(url) or self._request(url)
