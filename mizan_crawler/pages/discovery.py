"""What discovery pages mean: the RSS feed, sitemaps and listing pages, as lists of entries.

Each parser takes the page body (and the page URL to resolve links) and returns plain data; none
does I/O or knows about the crawl. Sitemaps come as real sites serve them: a ``.xml.gz`` file sent
as ``application/x-gzip`` without ``Content-Encoding`` reaches the spider still compressed, so
:func:`sitemap_body` recognises gzip by its magic bytes, whatever the headers say.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from scrapy.utils.gz import gunzip

from ..dates import TEHRAN, DateParseError, parse_jalali
from ..text import to_ascii_digits
from .article import news_code_from_url

# Untrusted XML: no entity expansion, no network, tolerant of small breakage.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, recover=True, remove_comments=True, huge_tree=False
)
LISTING_LINKS = (
    "div.linear_news h3.Htags a",
    "h2.Htags a.title3",
    "a.title5",
    ".news_list a.title",
)
PAGER = re.compile(r"صفحه\s*(\d+)\s*از\s*(\d+)")
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Entry:
    """A link to an article found on a discovery page, with what the page says about it."""

    url: str
    news_code: int | None
    published: datetime | None = None  # publication time, where the page gives it
    lastmod: datetime | None = None  # last modification (sitemaps)


@dataclass(frozen=True)
class SitemapRef:
    """One urlset named by a sitemap index."""

    url: str
    lastmod: datetime | None


def parse_w3c_datetime(text: str | None) -> datetime | None:
    """A sitemap ``lastmod``: full timestamp with offset, or a bare day (taken in Iran time)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=TEHRAN)


def _xml_root(body: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(body, _XML_PARSER)
    except etree.XMLSyntaxError:
        return None


def _children(element: etree._Element) -> dict[str, str]:
    """Direct children as {local name: text}."""
    return {
        etree.QName(child).localname: (child.text or "").strip()
        for child in element
        if isinstance(child.tag, str)
    }


class SitemapBodyError(ValueError):
    """A sitemap body that cannot be read: corrupt gzip, or larger than allowed once inflated."""


@dataclass(frozen=True)
class SitemapBody:
    """The XML of a sitemap response, and whether it came gzip-compressed."""

    xml: bytes
    gzipped: bool


def sitemap_body(body: bytes, max_size: int = 0) -> SitemapBody:
    """The XML of a sitemap response body: gzip (by its magic bytes) is inflated, to at most
    ``max_size`` bytes (0: no bound), the bound Scrapy's own ``SitemapSpider`` applies with
    ``DOWNLOAD_MAXSIZE``, so a small file cannot inflate into gigabytes. A ``.xml.gz`` URL whose
    body is plain XML was already inflated on the way (``Content-Encoding: gzip``).

    ``gunzip`` returns what it could inflate of a cut-off file; a sitemap cut off is a hole, so the
    inflated size is checked against the gzip trailer (the size of the last member, which is the
    whole file but for the rare concatenated ones: those are refused loudly, not read short)."""
    if not body.startswith(GZIP_MAGIC):
        return SitemapBody(body, gzipped=False)
    try:
        xml = gunzip(body, max_size=max_size)
    except (OSError, EOFError, zlib.error, struct.error) as error:
        raise SitemapBodyError(f"corrupt gzip ({error})") from None
    except ValueError as error:  # Scrapy's size error is a ValueError of a private class
        raise SitemapBodyError(f"over {max_size} bytes once inflated ({error})") from None
    trailer = int.from_bytes(body[-4:], "little")
    if len(xml) % 2**32 != trailer:
        raise SitemapBodyError(
            f"cut-off gzip: {len(xml)} bytes inflated, the trailer says {trailer}"
        )
    return SitemapBody(xml, gzipped=True)


def _publication_date(element: etree._Element) -> datetime | None:
    """``<news:news><news:publication_date>`` inside a urlset entry, read by local name so a
    sitemap with a wrong namespace or prefix still gives it."""
    for news in element:
        if isinstance(news.tag, str) and etree.QName(news).localname == "news":
            return parse_w3c_datetime(_children(news).get("publication_date"))
    return None


def parse_sitemap(body: bytes, page_url: str) -> tuple[list[SitemapRef], list[Entry]]:
    """A sitemap index (its urlsets) or a urlset (its entries); the other list is empty."""
    root = _xml_root(body)
    if root is None:
        return [], []
    refs, entries = [], []
    for element in root:
        if not isinstance(element.tag, str):
            continue
        name, fields = etree.QName(element).localname, _children(element)
        loc = urljoin(page_url, fields.get("loc", ""))
        if not fields.get("loc"):
            continue
        if name == "sitemap":
            refs.append(SitemapRef(loc, parse_w3c_datetime(fields.get("lastmod"))))
        elif name == "url":
            entries.append(
                Entry(
                    loc,
                    news_code_from_url(loc),
                    published=_publication_date(element),
                    lastmod=parse_w3c_datetime(fields.get("lastmod")),
                )
            )
    return refs, entries


def _rss_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return None


def parse_feed(body: bytes, page_url: str) -> list[Entry]:
    """The items of an RSS 2.0 feed, in feed order."""
    root = _xml_root(body)
    if root is None:
        return []
    entries = []
    for item in root.iter("item"):
        fields = _children(item)
        link = fields.get("link") or fields.get("guid")
        if link:
            url = urljoin(page_url, link)
            entries.append(
                Entry(url, news_code_from_url(url), published=_rss_date(fields.get("pubDate")))
            )
    return entries


def _listing_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_jalali(text).moment
    except DateParseError:
        return None


def parse_listing(sel: Selector, page_url: str) -> list[Entry]:
    """The article links of a listing page (latest news, service or archive), in page order."""
    for query in LISTING_LINKS:
        links = sel.css(query)
        if links:
            break
    else:
        return []
    entries = []
    for link in links:
        href = link.attrib.get("href")
        if href:
            url = urljoin(page_url, href)
            entries.append(
                Entry(
                    url, news_code_from_url(url), published=_listing_time(link.attrib.get("title"))
                )
            )
    return entries


def article_links(sel: Selector, page_url: str) -> list[Entry]:
    """Every link to an article on a page, once each, in page order: what a listing page whose
    cards match no known selector (a redesign) still offers. No dates: none can be trusted."""
    entries, seen = [], set()
    for href in sel.css("a::attr(href)").getall():
        url = urljoin(page_url, href.strip())
        code = news_code_from_url(url)
        if code is not None and code not in seen:
            seen.add(code)
            entries.append(Entry(url, code))
    return entries


def listing_pages(sel: Selector) -> tuple[int, int] | None:
    """(this page, last page) from the pager «صفحه ۱ از ۲۰», or ``None`` without a pager."""
    text = to_ascii_digits(" ".join(sel.css("#pager ::text, .pager ::text").getall()))
    match = PAGER.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None
