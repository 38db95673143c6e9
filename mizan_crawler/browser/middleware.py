"""Fetch a page again through the browser when plain HTTP got a challenge or a script-built shell.

Stats: ``mizan/browser/challenges`` (challenge pages met), ``mizan/browser/script_pages`` (pages
whose article only a script builds), ``mizan/browser/renders`` (pages fetched through the
browser), ``mizan/browser/cookie_retries`` (challenged pages fetched again over plain HTTP with the
cookie a render earned), ``mizan/browser/unsolved`` (renders still showing a challenge) and
``mizan/browser/unavailable`` (pages that needed a browser when none was installed).
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.http.cookies import CookieJar

from ..pages.challenge import CHALLENGE, browser_reason
from ..pages.tree import page_selector
from .config import (
    ALWAYS,
    NEVER,
    browser_mode,
    browser_usable,
    chromium_path,
    missing_browser_message,
)
from .page import RENDER, jar_cookie, render_meta, settled

logger = logging.getLogger(__name__)

HARVESTS_SEEN = "mizan_browser_harvests"  # request meta: cookie harvests done when it was sent
COOKIE_RETRY = "mizan_browser_cookie_retry"  # request meta: re-sent with a render's cookie
STAT_OF_REASON = {CHALLENGE: "challenges", "script_body": "script_pages"}
# Not pages: robots.txt, feeds and sitemaps stay on plain HTTP even with MIZAN_PLAYWRIGHT=always.
DOCUMENT_MARKERS = ("robots.txt", "sitemap", "/rss", ".xml")


def is_document_url(url: str) -> bool:
    """Whether ``url`` is robots.txt, a feed or a sitemap (XML a browser would dress as a page)."""
    path = urlsplit(url).path.lower()
    return any(marker in path for marker in DOCUMENT_MARKERS)


class BrowserMiddleware:
    """In ``auto`` mode, a plain response that is a JavaScript challenge or a script-built article
    shell is fetched again through the browser and handed on in its place; every other response
    passes untouched. In ``always`` mode every page request goes through the browser.

    One challenge means one render: the cookies the browser earns go into Scrapy's cookie jar, so
    later plain requests carry them; challenged pages that were already on their way while the
    browser worked are re-sent over plain HTTP with that cookie. If the cookie does not let a plain
    request through, challenged pages go to the browser from then on.
    """

    def __init__(self, crawler: Crawler, mode: str, usable: bool) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.mode = mode
        self.usable = usable
        self.harvests = 0  # renders whose cookies went into the jar
        self.cookies_pass = True  # until a re-sent request with an earned cookie is challenged
        self.challenge_lock = asyncio.Lock()  # one render per challenge; the others wait for it
        self.warned = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserMiddleware:
        mode = browser_mode(crawler.settings)
        if mode == NEVER:
            raise NotConfigured  # silent: never means plain HTTP only, at full speed
        return cls(crawler, mode, browser_usable(crawler.settings))

    def process_request(self, request: Request) -> None:
        if RENDER in request.meta:
            return
        request.meta[HARVESTS_SEEN] = self.harvests
        if self.mode == ALWAYS and not is_document_url(request.url):
            request.meta.update(render_meta(ALWAYS))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if RENDER in request.meta:
            return self.rendered(request, response)
        reason = self.reason(response)
        if reason is None:
            return response
        self.stats.inc_value(f"mizan/browser/{STAT_OF_REASON[reason]}")
        if not self.usable:
            self.unavailable(response, reason)
            return response
        if reason == CHALLENGE:
            return await self.pass_challenge(request)
        return await self.render(request, reason)

    @staticmethod
    def reason(response: Response) -> str | None:
        """Why a plain response needs the browser, if it does."""
        if not isinstance(response, HtmlResponse):
            return None
        return browser_reason(response.text, response.url, page_selector(response), response.status)

    async def pass_challenge(self, request: Request) -> Request | Response:
        """Re-send with a cookie earned since this request left, else render it (one at a time)."""
        async with self.challenge_lock:
            if request.meta.get(COOKIE_RETRY):
                self.cookies_pass = False
                logger.info("The browser's cookie does not pass plain requests: rendering instead")
            elif self.cookies_pass and self.harvests > request.meta.get(HARVESTS_SEEN, 0):
                self.stats.inc_value("mizan/browser/cookie_retries")
                meta = {**request.meta, COOKIE_RETRY: True}
                return request.replace(meta=meta, dont_filter=True)
            return await self.render(request, CHALLENGE)

    async def render(self, request: Request, reason: str) -> Response:
        """Fetch ``request`` through the browser now, past the scheduler (whose slots may all be
        held by requests waiting for this very render)."""
        meta = {**request.meta, **render_meta(reason)}
        browser_request = request.replace(meta=meta, dont_filter=True)
        logger.debug("Rendering %s in the browser (%s)", request.url, reason)
        return await self.crawler.engine.download_async(browser_request)

    def rendered(self, request: Request, response: Response) -> Response:
        """Count a render, keep its cookies, and give the response the final document's status."""
        self.stats.inc_value("mizan/browser/renders")
        report = settled(request.meta)
        self.keep_cookies(request, report.get("cookies") or [])
        if self.reason(response) == CHALLENGE:
            self.stats.inc_value("mizan/browser/unsolved")
            logger.warning("The browser did not get past the challenge at %s", response.url)
        status = report.get("status") or response.status
        return response if status == response.status else response.replace(status=status)

    def keep_cookies(self, request: Request, cookies: list[dict[str, object]]) -> None:
        """Put the browser's cookies into Scrapy's cookie jar, for the plain requests after it."""
        jar = self.cookie_jar(request)
        if jar is None or not cookies:
            return
        for cookie in cookies:
            jar.set_cookie(jar_cookie(cookie))
        self.harvests += 1

    def cookie_jar(self, request: Request) -> CookieJar | None:
        """The jar Scrapy's ``CookiesMiddleware`` uses for ``request`` (none if cookies are off)."""
        for middleware in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(middleware, CookiesMiddleware):
                return middleware.jars[request.meta.get("cookiejar")]
        return None

    def unavailable(self, response: Response, reason: str) -> None:
        """Count a page left unrendered for want of a browser; say why once."""
        self.stats.inc_value("mizan/browser/unavailable")
        if not self.warned:
            self.warned = True
            logger.warning(
                "%s needs a browser (%s), but %s. Such pages are not rendered; they are counted "
                "in mizan/browser/unavailable.",
                response.url,
                reason,
                missing_browser_message(chromium_path(self.crawler.settings)),
            )
