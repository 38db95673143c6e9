"""Conditional requests for the discovery documents a scheduled crawl reads every run.

The feed, the news sitemap and the first listing page are stored (Scrapy's HTTP cache, in
``HTTPCACHE_DIR``, so across runs) when the site sends validators, and every later request for
them carries ``If-None-Match`` / ``If-Modified-Since``: over an unchanged site they come back as
304 with no body, and the spider reads the stored copy, whose articles it already has. Every
other request passes the cache by: article pages are fetched once, and holding them would only
cost disk.

Scrapy's RFC 2616 policy does the HTTP; three things differ here, each for a reason:

- the policy would serve a stored copy without asking while a heuristic freshness lasts (a tenth
  of its age since Last-Modified); these documents change every few minutes, so every request
  says ``Cache-Control: max-age=0``, the standard way to ask for revalidation, and is sent;
- the policy would answer a 5xx with the stored copy, and the middleware a network error: the
  crawl would then read yesterday's feed as today's and nobody would know. Only a 304 stands for
  the stored copy here; errors reach the retry middleware and the error counts as usual;
- the middleware sits before the retry middleware (``DOWNLOADER_MIDDLEWARES``), so a retried
  error is retried first and only then handed to the cache.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

# The site's discovery documents (the paths the `news` spider starts from).
REVALIDATED_PATHS = frozenset({"/fa/rss/allnews", "/fa-sitemap-news"})
LISTING_PATH = "/fa/allnews"


def is_revalidated(url: str) -> bool:
    """Whether ``url`` is the feed, the news sitemap or the first page of the latest-news
    listing."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    if path in REVALIDATED_PATHS:
        return True
    return path == LISTING_PATH and parse_qs(parts.query).get("p", ["1"]) == ["1"]


class DiscoveryRevalidationPolicy(RFC2616Policy):
    """``HTTPCACHE_POLICY``: RFC 2616 caching for the discovery documents only, always
    revalidated, and never standing in for an error."""

    def should_cache_request(self, request: Request) -> bool:
        """Only the discovery documents; they ask for revalidation (``max-age=0``), set here
        because the policy reads a request's Cache-Control once, in this call."""
        if not is_revalidated(request.url):
            return False
        request.headers.setdefault(b"Cache-Control", b"max-age=0")
        return super().should_cache_request(request)

    def is_cached_response_valid(
        self, cachedresponse: Response, response: Response, request: Request
    ) -> bool:
        """The stored copy stands only for a 304, never for a server error."""
        return response.status == 304


class RevalidatingCacheMiddleware(HttpCacheMiddleware):
    """Scrapy's HTTP cache middleware, except that a failed revalidation (timeout, refused
    connection) is a failure, not the stored copy: it is retried and counted as any other."""

    def process_exception(self, request: Request, exception: Exception) -> None:
        request.meta.pop("cached_response", None)
