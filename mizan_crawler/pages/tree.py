"""One parsed tree per response, shared by the browser check and the parser, freed with the page.

Scrapy's ``response.selector`` makes a reference cycle (the response caches its selector, and the
selector keeps its response), so a page's tree is freed only by a run of the cyclic garbage
collector, and Python's collector counts objects, not the tree's memory: about 1.3 MB for a page of
the live site's weight, next to a few Python objects. A full-speed backfill of such pages held
hundreds of MiB of trees of pages long done. Here a page's selector hangs from a weak reference
to its response, with none back, so the tree goes when the response goes.
"""

from __future__ import annotations

import weakref

from parsel import Selector
from scrapy.http import TextResponse

_SELECTORS: weakref.WeakKeyDictionary[TextResponse, Selector] = weakref.WeakKeyDictionary()


def page_selector(response: TextResponse) -> Selector:
    """The HTML selector of ``response``, built once however many times it is asked for."""
    found = _SELECTORS.get(response)
    if found is None:
        found = _SELECTORS[response] = Selector(text=response.text, type="html")
    return found
