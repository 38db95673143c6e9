"""The ``http``/``https`` download handler installed with the browser: Scrapy's own HTTP handler
until a request needs the browser, and only then scrapy-playwright's.

Scrapy builds every configured download handler when the crawl starts; building scrapy-playwright's
imports Playwright, scrapy-playwright and what is under them, some 0.3 s of a scheduled run's
start that a crawl which never meets a page needing a browser spends for nothing. This handler
imports and builds :class:`~mizan_crawler.browser.handler.LazyPlaywrightHandler` at the first
request marked ``playwright`` and hands it every such request from then on; plain requests go
through Scrapy's handler, as they did through scrapy-playwright's (which is Scrapy's handler for
them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

    from .handler import LazyPlaywrightHandler


class PlainFirstHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP handler, with scrapy-playwright's built at the first render."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._browser_crawler = crawler
        self.browser: LazyPlaywrightHandler | None = None

    def _browser(self) -> LazyPlaywrightHandler:
        if self.browser is None:
            from .handler import LazyPlaywrightHandler

            self.browser = LazyPlaywrightHandler.from_crawler(self._browser_crawler)
        return self.browser

    async def download_request(self, request: Request) -> Response:
        if request.meta.get("playwright"):
            return await self._browser().download_request(request)
        return await super().download_request(request)

    async def close(self) -> None:
        await super().close()
        if self.browser is not None:
            await self.browser.close()
