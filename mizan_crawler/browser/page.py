"""What happens inside the browser for one render, and what the crawler keeps from it.

A render navigates, then :func:`settle` (a scrapy-playwright page method) waits until the page
no longer needs a browser (a challenge's script has set its cookie and reloaded; a script has
built the article) and reports the browser context's cookies and the final document's HTTP
status. scrapy-playwright then reads the DOM and closes the
page, on success and on failure alike. Playwright is imported only once a page needs a render,
so a crawl that never renders does not load it.
"""

from __future__ import annotations

import asyncio
import time
from http.cookiejar import Cookie
from typing import TYPE_CHECKING, Any

from ..pages.challenge import browser_reason

if TYPE_CHECKING:
    from playwright.async_api import Page

RENDER = "mizan_browser_render"  # request meta: why this request goes through the browser
# How long a challenge or a script may take to show the article; ArvanCloud's take well under this.
SETTLE_SECONDS = 10.0
POLL_SECONDS = 0.1
FINAL_STATUS = (
    "() => { const entry = performance.getEntriesByType('navigation')[0];"
    " return entry ? entry.responseStatus : 0; }"
)


async def _is_settled(page: Page) -> bool:
    from playwright.async_api import Error as PlaywrightError

    try:
        await page.wait_for_load_state("load")
        return browser_reason(await page.content(), page.url) is None
    except PlaywrightError:  # navigating (the challenge reloads): the content is not there yet
        return False


async def settle(page: Page) -> dict[str, Any]:
    """Wait (at most :data:`SETTLE_SECONDS`) for the page to be past any challenge and built;
    return the context's cookies and the HTTP status of the document now shown (0 if unknown)."""
    from playwright.async_api import Error as PlaywrightError

    deadline = time.monotonic() + SETTLE_SECONDS
    while not await _is_settled(page) and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
    try:
        status = int(await page.evaluate(FINAL_STATUS) or 0)
    except PlaywrightError:
        status = 0
    return {"cookies": await page.context.cookies(), "status": status}


def render_meta(reason: str) -> dict[str, Any]:
    """Request meta that sends a request through the browser, for ``reason``.

    Navigation returns once the first answer arrives (``commit``): a challenge reloads at once,
    which a wait for the first document's ``load`` would report as a failed navigation.
    """
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_page_goto_kwargs": {"wait_until": "commit"},
        "playwright_page_methods": [PageMethod(settle)],
        RENDER: reason,
    }


def settled(meta: dict[str, Any]) -> dict[str, Any]:
    """What :func:`settle` reported for a finished render (empty if it did not run)."""
    methods = meta.get("playwright_page_methods") or []
    result = methods[0].result if methods else None
    return result if isinstance(result, dict) else {}


def jar_cookie(data: dict[str, Any]) -> Cookie:
    """A browser cookie (Playwright's dict) as a cookie for Scrapy's cookie jar.

    A domain without a leading dot is host-only, as the jar records a ``Set-Cookie`` without
    ``Domain``; a session cookie (``expires`` -1) is discarded at the end, as in a browser.
    """
    domain = str(data.get("domain", ""))
    expires = data.get("expires", -1)
    persistent = isinstance(expires, int | float) and expires > 0
    return Cookie(
        version=0,
        name=str(data["name"]),
        value=str(data["value"]),
        port=None,
        port_specified=False,
        domain=domain,
        domain_specified=domain.startswith("."),
        domain_initial_dot=domain.startswith("."),
        path=str(data.get("path") or "/"),
        path_specified=True,
        secure=bool(data.get("secure", False)),
        expires=int(expires) if persistent else None,
        discard=not persistent,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""} if data.get("httpOnly") else {},
    )
