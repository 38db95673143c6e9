"""One parsed tree per response, shared by the browser check and the parser, freed with the page.

Scrapy's ``response.selector`` makes a reference cycle (the response caches its selector, and the
selector keeps its response), so a page's tree is freed only by a run of the cyclic garbage
collector, and Python's collector counts objects, not the tree's memory: about 1.3 MB for a page of
the live site's weight, next to a few Python objects. A full-speed backfill of such pages held
hundreds of MiB of trees of pages long done. Here a page's selector hangs from a weak reference
to its response, with none back, so the tree goes when the response goes.
"""

from __future__ import annotations

import codecs
import weakref

from parsel import Selector
from scrapy.http import TextResponse

_SELECTORS: weakref.WeakKeyDictionary[TextResponse, Selector] = weakref.WeakKeyDictionary()


def page_selector(response: TextResponse) -> Selector:
    """The HTML selector of ``response``, built once however many times it is asked for."""
    found = _SELECTORS.get(response)
    if found is None:
        found = _SELECTORS[response] = _selector(response)
    return found


def _selector(response: TextResponse) -> Selector:
    """A UTF-8 page is parsed from its bytes: parsel would otherwise strip the decoded text and
    encode it back to UTF-8 first, two copies of a page of some 185 KB, for the same tree (it
    falls back to the decoded text itself where the bytes are not valid UTF-8)."""
    if codecs.lookup(response.encoding).name == "utf-8":
        return Selector(body=response.body, encoding="utf-8", type="html")
    return Selector(text=response.text, type="html")
