"""scrapy-playwright's download handler, started at the first render instead of with the engine,
and robust to a browser that dies while pages are being opened."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright._impl._errors import TargetClosedError
from playwright.async_api import Page
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class LazyPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """Plain requests go through Scrapy's HTTP handler as without it; Playwright (a Node.js driver
    process) and Chromium start only when the first request marked ``playwright`` arrives, so a
    crawl that never meets a page needing a browser never starts one.

    A browser that dies is launched again for the next render (scrapy-playwright's
    ``PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER``, on by default), and the renders it was serving are
    retried in the new one (see :meth:`_create_page`). Pages are closed by scrapy-playwright after
    each render, failed ones included.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._playwright_started = False
        self._start_lock = asyncio.Lock()
        self._opening: set[asyncio.Future[Page]] = set()  # pages being opened
        self._abandoned: set[asyncio.Future[Page]] = set()  # ... in a browser that died

    async def _launch(self) -> None:
        """Called by scrapy-playwright when the engine starts: nothing is started yet."""

    async def _start_playwright(self) -> None:
        async with self._start_lock:
            if not self._playwright_started:
                await super()._launch()
                self._playwright_started = True

    async def _download_request(self, request: Request, *args: Any) -> Response:
        await self._start_playwright()
        return await super()._download_request(request, *args)

    async def _create_page(self, request: Request, spider: Spider) -> Page:
        """scrapy-playwright's, given up when the browser dies meanwhile.

        Playwright's ``new_page`` in a context of a browser killed at that moment may never
        return, and neither does a request waiting for a page slot of that context. Both are
        cancelled when the browser disconnects and fail with ``TargetClosedError``, which
        scrapy-playwright answers by retrying the request in a new browser.
        """
        opening = asyncio.ensure_future(super()._create_page(request, spider))
        self._opening.add(opening)
        try:
            return await opening
        except asyncio.CancelledError:
            if opening not in self._abandoned:
                raise
            raise TargetClosedError("the browser died while a page was being opened") from None
        finally:
            self._opening.discard(opening)
            self._abandoned.discard(opening)

    async def _browser_disconnected_callback(self) -> None:
        for opening in self._opening:
            self._abandoned.add(opening)
            opening.cancel()
        await super()._browser_disconnected_callback()

    async def _close(self) -> None:
        if self._playwright_started:
            await super()._close()
