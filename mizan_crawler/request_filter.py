"""The one place a request is deduplicated: ``DUPEFILTER_CLASS`` of the project.

Every request the scheduler is given passes here, whatever made it: a spider's link, a short
link's redirect target, a retry, an AMP or print form (all fingerprinted by news code, see
``fingerprints.py``). A request is dropped when

- it is for an article the store holds (``SiteKnowledge.is_known``; not with ``-a refresh=1``),
- it is a short link the store has seen resolved to such an article (it costs nothing), or
- it was already scheduled in this run (Scrapy's own fingerprint set).

A short link followed for the first time costs its redirect: the target's request comes back
here with the link in ``redirect_urls``, is remembered (written to the store with the next batch)
and dropped if its article is stored. The distributed scheduler asks ``rejects`` the same
question before its shared, Redis-held duplicate check. The store's upsert by news code stays the
last guard. Dropped requests fire Scrapy's ``request_dropped`` signal, which spiders that track
their requests listen to.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.statscollectors import StatsCollector

from .knowledge import SiteKnowledge
from .pages.article import news_code_from_url

# Short links such as /00AbCd redirect to an article (seen on sister sites).
SHORT_LINK = re.compile(r"/00[0-9A-Za-z]{2,12}")


def short_link_path(url: str) -> str | None:
    """The path of ``url`` if it is a short link."""
    path = urlsplit(url).path
    return path if SHORT_LINK.fullmatch(path) else None


def rejects(knowledge: SiteKnowledge, stats: StatsCollector, request: Request) -> bool:
    """Whether ``request`` is for an article the store already holds (learning, on the way, the
    short link a redirected request came from)."""
    if request.method != "GET":
        return False
    code = news_code_from_url(request.url)
    if code is not None:
        _learn_short_link(knowledge, request, code)
        if knowledge.is_known(code):
            stats.inc_value("mizan/discovery/already_stored")
            return True
        return False
    path = short_link_path(request.url)
    target = knowledge.code_of_short_link(path) if path else None
    if target is not None and knowledge.is_known(target):
        stats.inc_value("mizan/discovery/short_link_known")
        return True
    return False


def _learn_short_link(knowledge: SiteKnowledge, request: Request, code: int) -> None:
    for url in request.meta.get("redirect_urls", ()):
        path = short_link_path(url)
        if path:
            knowledge.remember_short_link(path, code)


class ArticleRequestFilter(RFPDupeFilter):
    """Scrapy's fingerprint filter, after the store's knowledge; counts article requests let
    through (``mizan/discovery/requested``), which the expected-items monitor measures against."""

    knowledge: SiteKnowledge
    stats: StatsCollector

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleRequestFilter:
        instance = super().from_crawler(crawler)
        instance.knowledge = SiteKnowledge.of(crawler)
        assert crawler.stats is not None
        instance.stats = crawler.stats
        return instance

    def request_seen(self, request: Request) -> bool:
        if rejects(self.knowledge, self.stats, request):
            return True
        if super().request_seen(request):
            return True
        if news_code_from_url(request.url) is not None:
            self.stats.inc_value("mizan/discovery/requested")
        return False
