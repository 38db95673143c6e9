"""What runs in the reparse worker processes: an archived response to the crawl's own parse.

Kept apart from the spider so a worker imports the page parser and Scrapy's response classes,
not the crawl machinery. The response is rebuilt as Scrapy builds it on a crawl (its class from
the headers, its encoding from them and the page), then parsed by ``pages.article`` exactly as
``MizanSpider.parse_article`` parses a fetched page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scrapy.http import Headers, TextResponse
from scrapy.responsetypes import responsetypes

from ..items import Article
from ..pages.article import NotAnArticle, parse_article
from ..pages.tree import page_selector
from .reader import Capture

_base_url = ""


def start_worker(base_url: str) -> None:
    """Worker initialiser: the site the canonical URLs are built on."""
    global _base_url  # noqa: PLW0603 - one value per worker process, set once as it starts
    _base_url = base_url


@dataclass
class Parsed:
    """A worker's answer: an article (with the parser's problems), or why there is none.

    ``skipped``: the page is no article (a reason as on a crawl, e.g. ``cms_error_page``);
    ``failed``: the parser broke on it (the error, for the log)."""

    article: Article | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)
    skipped: str | None = None
    failed: str | None = None


def parse_capture(capture: Capture) -> Parsed:
    """Parse one capture; never raises (a page that breaks the parser is an answer too)."""
    try:
        headers = Headers(capture.headers)
        cls = responsetypes.from_args(headers=headers, url=capture.url, body=capture.body)
        response = cls(capture.url, status=capture.status, headers=headers, body=capture.body)
        if not isinstance(response, TextResponse):
            return Parsed(skipped="not_text")
        page = parse_article(
            page_selector(response),
            url=response.url,
            base_url=_base_url,
            crawled_at=capture.fetched_at,
            status=response.status,
            archive_record=capture.position,
        )
    except NotAnArticle as exc:
        return Parsed(skipped=exc.reason)
    except Exception as error:  # a parser bug on one page must not end the reparse
        return Parsed(failed=f"{type(error).__name__}: {error}")
    return Parsed(article=page.article, problems=page.problems)
