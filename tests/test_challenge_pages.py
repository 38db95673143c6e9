"""Unit tests of the page module that tells whether a page needs a browser."""

from __future__ import annotations

import pytest
from parsel import Selector

from mizan_crawler.pages.challenge import (
    CHALLENGE,
    SCRIPT_BODY,
    browser_reason,
    is_challenge,
    is_script_shell,
)
from mizan_crawler.replica import Corpus
from mizan_crawler.replica.challenge import challenge_page
from mizan_crawler.replica.render import article_page, error_page, listing_page

ARTICLE_URL = "https://www.mizanonline.ir/fa/news/4776124"
LISTING_URL = "https://www.mizanonline.ir/fa/allnews?p=1"
CORPUS = Corpus(200, seed=5)


def _first(**wanted: str) -> object:
    return next(
        article
        for article in CORPUS
        if all(getattr(article, name) == value for name, value in wanted.items())
    )


@pytest.mark.parametrize(
    "page",
    [
        challenge_page("0123abcd"),
        "<html><body>Checking your browser... ArvanCloud</body></html>",
        '<html><script>document.cookie="x=1"; location.href = "/fa/news/1";</script></html>',
        "<html><script>document.cookie = 'a=b'; window.location.replace(url);</script></html>",
        "<html><script>document.cookie='a=b';document.location = '/';</script></html>",
    ],
)
def test_challenge_pages_are_recognised(page: str) -> None:
    assert is_challenge(page)
    assert browser_reason(page, ARTICLE_URL) == CHALLENGE
    assert browser_reason(page, LISTING_URL, status=403) == CHALLENGE


@pytest.mark.parametrize(
    "page",
    [
        article_page(_first(theme="current", kind="news")),
        error_page(),
        "<html><script>document.cookie = 'seen=1';</script><p>a page</p></html>",  # no reload
        "<html><script>location.reload();</script></html>",  # no cookie
        "<html><footer>CDN: ArvanCloud</footer>" + "<p>متن خبر</p>" * 1000 + "</html>",  # large
    ],
)
def test_other_pages_are_not_challenges(page: str) -> None:
    assert not is_challenge(page)


def test_size_is_counted_in_bytes() -> None:
    persian = "<html>arvancloud " + "خ" * 6000 + "</html>"  # 6,000 characters, 12,000 bytes
    assert not is_challenge(persian)


@pytest.mark.parametrize("theme", ["current", "old"])
def test_a_body_inserted_by_script_is_a_shell(theme: str) -> None:
    article = _first(theme=theme, kind="news")
    page = article_page(article, script_body=True)
    assert is_script_shell(Selector(text=page), ARTICLE_URL)
    assert browser_reason(page, ARTICLE_URL) == SCRIPT_BODY
    assert browser_reason(page, ARTICLE_URL, status=404) is None
    assert browser_reason(page, LISTING_URL) is None  # only article URLs have article bodies


def test_an_app_shell_is_a_shell() -> None:
    page = '<html><body><div id="app"></div><script src="/static/app.js"></script></body></html>'
    assert is_script_shell(Selector(text=page), ARTICLE_URL)


@pytest.mark.parametrize(
    "page",
    [
        article_page(_first(theme="current", kind="news")),
        article_page(_first(theme="old", kind="news")),
        article_page(_first(kind="video")),
        article_page(_first(kind="photo")),
        error_page(),  # the CMS's error page at an article URL: no article, no shell
        '<html><h1 class="title">خبر</h1><div class="body"></div></html>',  # empty, no script
        '<html><h1 class="title">خبر</h1><script>window.dataLayer = [];</script></html>',
    ],
)
def test_static_pages_are_not_shells(page: str) -> None:
    assert not is_script_shell(Selector(text=page), ARTICLE_URL)
    assert browser_reason(page, ARTICLE_URL) is None


def test_listings_are_never_shells() -> None:
    page = listing_page(list(CORPUS)[:3], 1, 1)
    assert browser_reason(page, LISTING_URL) is None
