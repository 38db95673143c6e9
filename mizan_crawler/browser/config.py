"""When the crawler may use a browser, which one, and the add-on that sets scrapy-playwright up.

``MIZAN_PLAYWRIGHT`` is ``auto`` (a page that needs a browser is fetched again through one),
``always`` (every page through the browser) or ``never``. The browser is the system's Chromium
(``MIZAN_CHROMIUM``, Debian's ``chromium`` package): Playwright's own browser downloads are not
used, so nothing is fetched from outside the package registries.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from scrapy.settings import BaseSettings

if TYPE_CHECKING:
    from playwright.async_api import Request as PlaywrightRequest

logger = logging.getLogger(__name__)

AUTO, ALWAYS, NEVER = "auto", "always", "never"
MODES = (AUTO, ALWAYS, NEVER)
HANDLER = "mizan_crawler.browser.plain_first.PlainFirstHandler"
# A render that times out is retried, as a plain request that times out is.
RENDER_TIMEOUT = "playwright.async_api.TimeoutError"
# What a browser page may skip: the crawler reads the DOM, never pixels or sound.
HEAVY_RESOURCES = frozenset({"image", "font", "media"})


class BrowserUnavailable(RuntimeError):
    """``MIZAN_PLAYWRIGHT=always`` and no browser where ``MIZAN_CHROMIUM`` points."""


def browser_mode(settings: BaseSettings) -> str:
    """The ``MIZAN_PLAYWRIGHT`` setting, checked."""
    mode = str(settings.get("MIZAN_PLAYWRIGHT") or AUTO).strip().lower()
    if mode not in MODES:
        raise ValueError(f"MIZAN_PLAYWRIGHT must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def chromium_path(settings: BaseSettings) -> str:
    """Where the browser is expected (``MIZAN_CHROMIUM``)."""
    return str(settings.get("MIZAN_CHROMIUM") or "/usr/bin/chromium")


def chromium_found(path: str) -> bool:
    """Whether ``path`` is an executable file."""
    return os.path.isfile(path) and os.access(path, os.X_OK)


def browser_usable(settings: BaseSettings) -> bool:
    """Whether this crawl may render pages: a mode other than ``never`` and a browser present."""
    return browser_mode(settings) != NEVER and chromium_found(chromium_path(settings))


def missing_browser_message(path: str) -> str:
    """How to get a browser, said once wherever one is missing."""
    return (
        f"no browser at {path} (MIZAN_CHROMIUM): install Debian's chromium "
        "(apt-get install chromium) or point MIZAN_CHROMIUM at a Chromium executable"
    )


def skip_heavy_resource(request: PlaywrightRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: images, fonts and media are never downloaded by the browser."""
    return request.resource_type in HEAVY_RESOURCES


def _merge(settings: BaseSettings, name: str, values: dict[str, Any]) -> None:
    """Add ``values`` to the dict setting ``name`` at its own priority, so an override given on the
    command line is extended rather than ignored."""
    priority = max(settings.getpriority(name) or 0, settings.getpriority("MIZAN_PLAYWRIGHT") or 0)
    settings.set(name, {**settings.getdict(name), **values}, priority=priority)


class BrowserAddon:
    """Installs scrapy-playwright's download handler (for ``http`` and ``https``) only when a
    browser may be used and exists, and points it at ``MIZAN_CHROMIUM``.

    The handler sends only requests marked ``playwright`` to the browser, and imports and starts
    Playwright at the first of them, so plain requests cost what they cost without it. With ``always`` and no
    browser the crawl refuses to start.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        mode = browser_mode(settings)
        if mode == NEVER:
            return
        path = chromium_path(settings)
        if not chromium_found(path):
            if mode == ALWAYS:
                message = f"MIZAN_PLAYWRIGHT=always, but {missing_browser_message(path)}"
                logger.critical("Refusing to start: %s", message)
                raise BrowserUnavailable(message)
            return  # auto: the browser middleware warns once, at the first page that needs it
        _merge(settings, "DOWNLOAD_HANDLERS", {"http": HANDLER, "https": HANDLER})
        _merge(settings, "PLAYWRIGHT_LAUNCH_OPTIONS", {"executable_path": path})
        retried = settings.getlist("RETRY_EXCEPTIONS")
        if RENDER_TIMEOUT not in retried:
            priority = settings.getpriority("RETRY_EXCEPTIONS") or 0
            settings.set("RETRY_EXCEPTIONS", [*retried, RENDER_TIMEOUT], priority=priority)
        # A render may take as long as a plain request: DOWNLOAD_TIMEOUT given on the command line
        # (or anywhere above the navigation timeout's own setting) is the render's limit too.
        timeout_priority = settings.getpriority("DOWNLOAD_TIMEOUT") or 0
        if timeout_priority > (settings.getpriority("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") or 0):
            milliseconds = settings.getfloat("DOWNLOAD_TIMEOUT") * 1000
            settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", milliseconds, timeout_priority)
