"""Whether a fetched page needs a browser: a JavaScript challenge, or an article built by script.

Mizan serves its articles as static HTML, but Iranian sites behind ArvanCloud answer some clients
with a small challenge page whose script sets a cookie and reloads, and a theme may one day fill
the article in from a script. Plain HTTP then gets no article; a browser does. These functions
only read the page (no I/O), so the crawler can decide cheaply, on every response, whether to
fetch it again through a browser.
"""

from __future__ import annotations

import re

from lxml import etree
from parsel import Selector

from .article import (
    ERROR_MARKERS,
    TITLE,
    body_element,
    first_match,
    news_code_from_url,
    scope_of,
)
from .text_blocks import has_text

CHALLENGE = "challenge"
SCRIPT_BODY = "script_body"

# ArvanCloud's challenge pages are a few KB; an article page is tens of KB.
CHALLENGE_MAX_BYTES = 10_000
# A script that navigates (reloads, or goes elsewhere) once it has set its cookie.
NAVIGATES = re.compile(
    r"location\s*\.\s*(?:reload|replace|assign|href)|(?:window|document)\s*\.\s*location\s*=",
    re.IGNORECASE,
)
# A script that writes markup into the page (DOM calls, or a front-end framework mounting).
BUILDS_DOM = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\s*\.\s*write|appendChild|replaceChildren"
    r"|textContent\s*=|createElement|\.render\s*\(|hydrate|\.mount\s*\(",
)
HEADLINES = (", ".join(query for query in TITLE if not query.startswith("meta")),)


def is_challenge(html: str) -> bool:
    """A small page that names ArvanCloud, or whose script sets a cookie and then navigates."""
    if len(html) > CHALLENGE_MAX_BYTES or len(html.encode("utf-8")) > CHALLENGE_MAX_BYTES:
        return False
    lowered = html.lower()
    if "arvancloud" in lowered:
        return True
    return "document.cookie" in lowered and NAVIGATES.search(html) is not None


_INLINE_SCRIPTS = etree.XPath("//script[not(@src)]/text()", smart_strings=False)
_LOADED_SCRIPT = etree.XPath("boolean(//script[@src])")


def _builds_dom(root: etree._Element) -> bool:
    """Whether an inline script writes markup into the page, or the page loads an app bundle."""
    return any(BUILDS_DOM.search(text) for text in _INLINE_SCRIPTS(root)) or _LOADED_SCRIPT(root)


def is_script_shell(sel: Selector, url: str) -> bool:
    """An article URL whose page has no article text, only scripts that would build it.

    That is an empty body element with such a script, or a page with neither headline nor body
    (an app shell). A photo page (headline, no body) and a CMS error page are not shells. It runs
    on every plain response, so it asks the parser's own compiled queries, and stops at the first
    text of a body.
    """
    if news_code_from_url(url) is None:
        return False
    root = sel.root
    scope = scope_of(root)
    if first_match(scope, ERROR_MARKERS) is not None:
        return False
    body = body_element(scope)
    if body is not None:
        return not has_text(body) and _builds_dom(root)
    return first_match(scope, HEADLINES) is None and _builds_dom(root)


def browser_reason(
    html: str, url: str, sel: Selector | None = None, status: int = 200
) -> str | None:
    """Why the page needs a browser (:data:`CHALLENGE` or :data:`SCRIPT_BODY`), else ``None``.

    A challenge may come with any status; a shell is only looked for in a 200 answer. ``sel`` is
    the page's selector when the caller already has one (a response caches its own); it is
    tested against ``None``, never for truth, which would serialise the whole document.
    """
    if is_challenge(html):
        return CHALLENGE
    if status != 200 or news_code_from_url(url) is None:
        return None
    return (
        SCRIPT_BODY
        if is_script_shell(sel if sel is not None else Selector(text=html), url)
        else None
    )
