"""Browser rendering: Chromium through scrapy-playwright, only for pages plain HTTP cannot read.

``config`` says when a browser may be used and sets scrapy-playwright up (an add-on),
``middleware`` decides which responses are fetched again through it, ``page`` is what runs in
the browser for one render, ``handler`` starts Playwright at the first render, and
``plain_first`` (the handler installed) imports scrapy-playwright only then.
"""

from __future__ import annotations

from .config import BrowserAddon, BrowserUnavailable, skip_heavy_resource
from .middleware import BrowserMiddleware

__all__ = ["BrowserAddon", "BrowserMiddleware", "BrowserUnavailable", "skip_heavy_resource"]
