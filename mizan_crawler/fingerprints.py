"""One fetch per news code: article requests are fingerprinted by the code in their URL.

Every URL form of an article (with or without slug, encoded slug, tracking query, http/https,
the old domain, AMP and print pages) carries the news code in its path, so the scheduler's
duplicate filter sees them as one request. Other requests keep Scrapy's fingerprint.
"""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.request import RequestFingerprinter

from .pages.article import news_code_from_url


def article_fingerprint(news_code: int) -> bytes:
    """The fingerprint shared by every request for one article."""
    return hashlib.sha1(f"mizan-article:{news_code}".encode(), usedforsecurity=False).digest()


class NewsCodeFingerprinter:
    """``REQUEST_FINGERPRINTER_CLASS`` of the project."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.default = RequestFingerprinter(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NewsCodeFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        code = news_code_from_url(request.url) if request.method == "GET" else None
        return article_fingerprint(code) if code is not None else self.default.fingerprint(request)
