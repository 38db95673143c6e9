"""What a Mizan article page means: an ``Article``, or the reason it is not one.

Each field has a short list of selectors, current theme first, then the older mizanonline.com
theme, then meta tags. Editing these lists is how a theme change is followed.

A live page is about 185 KB, most of it site chrome (menus, "most read" and related lists,
scripts, footer), and every query over the whole tree walks all of it. So the page is searched
once for the article's container (``CONTAINERS``), and every field query then runs on the
container's parent (the article's column: the old theme puts its breadcrumbs beside the
container) and on ``<head>`` (the meta tags), which hold everything the fields come from. A page
without a container is searched whole, as before.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from ..dates import DateParseError, PublicationDate, agree, before, parse_iso, parse_jalali
from ..items import Article
from ..loaders import ArticleLoader
from ..text import normalize_line
from .text_blocks import paragraphs

TITLE = ("h1.title", "h1.Htag", ".news_title h1", ".title_news h1", "meta[property='og:title']")
UPTITLE = (".rutitr", ".news-rutitr", ".uptitle")
LEAD = (".subtitle", ".subtitle_photo", ".news_lead", ".lead", "meta[name='description']")
BODY = (
    ".main_news_body .body",
    ".row_news_body .body",
    ".news_body .body",
    ".body-news",
    "section.body",
    "div.body",
)
DATE = (".news_pdate_c", ".photo_pdate", ".news_date")
NEWS_CODE = (".news_id_c", ".news_code")
BREADCRUMB = (".news_path a", ".breadcrumb a")
TAGS = (".tags_title a", ".tags li a", ".tags li")
IMAGES = (
    ".lead_image img::attr(src)",
    ".image_set a::attr(href)",
    ".album_listi img::attr(src)",
    "video::attr(poster)",
    "#mainNewsVideo img::attr(src)",
)
# Markers are only tested for presence, so each list runs as one query.
PHOTO_MARKERS = (".image_set, .album_listi, .photo_pdate, .subtitle_photo",)
VIDEO_MARKERS = ("#mainNewsVideo, .news_video",)
# ``<body id="...">`` of photo and video pages (the body element is outside the article's column).
PHOTO_PAGE_ID = "photo"
VIDEO_PAGE_ID = "video"
ERROR_MARKERS = (".error_page, .page_404, .notfound",)
ERROR_TEXTS = ("صفحه مورد نظر یافت نشد", "خبر مورد نظر یافت نشد", "صفحه مورد نظر وجود ندارد")
HOME_CRUMBS = frozenset({"صفحه نخست", "صفحه اصلی", "خانه", "خبرگزاری میزان"})
META_PUBLISHED = "meta[property='article:published_time']::attr(content)"
META_MODIFIED = "meta[property='article:modified_time']::attr(content)"
SLUG_SOURCES = (
    "link[rel='canonical']::attr(href), meta[property='og:url']::attr(content), "
    "h1.title a::attr(href), h1.Htag a::attr(href)"
)

Element = etree._Element
_TRANSLATOR = HTMLTranslator()
# Text and attribute values come back as plain strings (``smart_strings=False``): lxml's "smart"
# strings keep a reference to their element, so one kept anywhere (in an item, or in the cache of
# ``urllib.parse.urlsplit``, which sees every slug candidate) keeps the page's whole tree alive,
# about 1.3 MB for a page of the live site's weight.
_STRING = etree.XPath("string()", smart_strings=False)
_TEXT_NODES = etree.XPath(".//text()", smart_strings=False)
_IN_COMMENT = etree.XPath("boolean(ancestor::*[contains(@class, 'comment')])")
# The article's container in either theme. Only ``div`` elements are tried: a query that tests
# the tag first costs a third of one that tests every element's class.
CONTAINERS = etree.XPath(
    "descendant::div[@class and (contains(concat(' ', normalize-space(@class), ' '), "
    "' main_news_body ') or contains(concat(' ', normalize-space(@class), ' '), ' news_body '))]"
)

# A query naming an element the HTML parser keeps in ``<head>`` (others are moved to the body).
HEAD_TAGS = re.compile(r"(?:^|[\s,>+~])(?:meta|link|title|base|script|style)\b")
ARTICLE_PATH = re.compile(r"/(?:fa/)?(?:amp/)?(?:news|print|send|save)/(\d+)(?:/([^/?#]*))?")


class NotAnArticle(Exception):
    """The page is not an article; ``reason`` is a short stats key such as ``cms_error_page``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ArticlePage:
    """A parsed article and the problems met on the way (each a ``(kind, message)`` pair)."""

    article: Article
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    """Where a page's fields are looked for: ``<head>`` and the article's column, or, on a page
    without a container (``region`` is ``None``), the whole tree from ``root``.

    Head and column hold every element the field queries can match in the page's templates (the
    head comes first in document order), so results are the whole tree's, without the chrome.
    """

    root: Element
    head: Element | None
    region: Element | None
    page_id: str | None


# Scopes of the pages being handled, so the browser check and the parser find a response's
# container once between them; an entry goes with its page's root. Values never hold the root
# itself (that would keep the entry alive).
_SCOPES: weakref.WeakKeyDictionary[Element, tuple[Element | None, Element | None, str | None]] = (
    weakref.WeakKeyDictionary()
)


def scope_of(root: Element) -> Scope:
    """The :class:`Scope` of a parsed page (``Selector.root``)."""
    known = _SCOPES.get(root)
    if known is None:
        head, body = root.find("head"), root.find("body")
        page_id = body.get("id") if body is not None else None
        containers = CONTAINERS(root) if body is not None else []
        region = containers[0].getparent() if containers else None
        if region is None or region is root:
            head = region = None
        known = _SCOPES[root] = (head, region, page_id)
    return Scope(root, *known)


@lru_cache(maxsize=256)
def _compiled(query: str) -> tuple[etree.XPath, bool]:
    """A CSS query (``::attr()`` included) compiled once to XPath, and whether it can match in
    ``<head>`` (it names a head element); parsing runs them thousands of times, and a compiled
    XPath on the lxml tree is several times faster than ``Selector.css``."""
    in_head = bool(HEAD_TAGS.search(query))
    return etree.XPath(_TRANSLATOR.css_to_xpath(query), smart_strings=False), in_head


def _select(scope: Scope | Element, query: str) -> list[Any]:
    compiled, in_head = _compiled(query)
    if not isinstance(scope, Scope):
        return compiled(scope)
    if scope.region is None:
        return compiled(scope.root)
    if in_head and scope.head is not None:
        return [*compiled(scope.head), *compiled(scope.region)]
    return compiled(scope.region)


def first_match(scope: Scope | Element, queries: tuple[str, ...]) -> Element | None:
    """The first element the first matching query finds, else ``None``."""
    for query in queries:
        found = _select(scope, query)
        if found:
            return found[0]
    return None


def _string(element: Element) -> str:
    """The text content of an element; a meta tag's ``content``."""
    if element.tag == "meta":
        return element.get("content", "")
    return _STRING(element)


def _texts(element: Element | None) -> list[str]:
    return [] if element is None else [_string(element)]


def _all_texts(scope: Scope, queries: tuple[str, ...]) -> list[str]:
    for query in queries:
        found = _select(scope, query)
        if found:
            return [_string(item) for item in found]
    return []


def news_code_from_url(url: str) -> int | None:
    """The news code in an article URL of any form the site uses, else ``None``."""
    match = ARTICLE_PATH.search(urlsplit(url).path)
    return int(match.group(1)) if match else None


def slug_from_url(url: str) -> str | None:
    """The (percent-decoded) slug of an article URL, else ``None``."""
    match = ARTICLE_PATH.search(urlsplit(url).path)
    slug = match.group(2) if match else None
    return unquote(slug) if slug else None


def canonical_url(base_url: str, news_code: int, slug: str | None) -> str:
    """``{base}/fa/news/{code}/{slug}``, or without the slug when the site gives none."""
    path = f"/fa/news/{news_code}" + (f"/{slug}" if slug else "")
    return base_url.rstrip("/") + path


def content_hash(title: str, lead: str | None, body: str) -> str:
    """sha256 hex of the normalised title, lead and body, to notice edits on a re-crawl."""
    return hashlib.sha256("\n".join((title, lead or "", body)).encode("utf-8")).hexdigest()


def _check_not_error_page(root: Scope, status: int) -> None:
    if status == 404:
        raise NotAnArticle("http_404")
    if first_match(root, ERROR_MARKERS) is not None:
        raise NotAnArticle("cms_error_page")
    title = " ".join(_select(root, "title::text"))
    if any(text in title for text in ERROR_TEXTS):
        raise NotAnArticle("cms_error_page")


def body_element(root: Scope | Element) -> Element | None:
    """The article's body element; a ``.body`` inside a comment never counts."""
    for query in BODY:
        for found in _select(root, query):
            if not _IN_COMMENT(found):
                return found
    return None


def _kind(root: Scope) -> str:
    if root.page_id == VIDEO_PAGE_ID or first_match(root, VIDEO_MARKERS) is not None:
        return "video"
    if root.page_id == PHOTO_PAGE_ID or first_match(root, PHOTO_MARKERS) is not None:
        return "photo"
    return "news"


def _slug(root: Scope, url: str, news_code: int) -> str | None:
    candidates = [*_select(root, SLUG_SOURCES), url]
    for candidate in candidates:
        if news_code_from_url(candidate) == news_code and (slug := slug_from_url(candidate)):
            return normalize_line(slug) or None
    return None


def _links_home(link: Element) -> bool:
    return (link.get("href") or "").rstrip("/") in ("", "/fa")


def _breadcrumb_texts(root: Scope) -> list[str]:
    """The raw text of each link of the first breadcrumb that matches, but the links home
    (crumbs named home are left out once their text is clean: ``HOME_CRUMBS``)."""
    for query in BREADCRUMB:
        links = _select(root, query)
        if links:
            return [_string(link) for link in links if not _links_home(link)]
    return []


def _images(root: Scope, body: Element | None, page_url: str) -> list[str]:
    sources = _select(body, "img::attr(src)") if body is not None else []
    for query in IMAGES:
        sources.extend(_select(root, query))
    if not sources:
        sources = _select(root, "meta[property='og:image']::attr(content)")
    urls = (urljoin(page_url, source.strip()) for source in sources if source.strip())
    return list(dict.fromkeys(url for url in urls if url.startswith(("http://", "https://"))))


def _printed_date(root: Scope) -> str | None:
    """The date element's text, its parts apart: sister sites put the Jalali and the Gregorian
    date (or a label) in child spans with no space between them."""
    element = first_match(root, DATE)
    if element is None:
        return None
    return normalize_line(" ".join(_TEXT_NODES(element))) or None


def _meta(root: Scope, query: str) -> str | None:
    return next(iter(_select(root, query)), None)


def _parsed(
    raw: str | None,
    parse: Callable[[str], PublicationDate],
    problems: list[tuple[str, str]],
    unreadable: str | None = None,
) -> PublicationDate | None:
    """``parse(raw)``, or ``None`` with the reason added to ``problems`` (as the error's kind,
    or as ``unreadable`` when given)."""
    if not raw:
        return None
    try:
        parsed = parse(raw)
    except DateParseError as exc:
        problems.append((unreadable or exc.kind, str(exc)))
        return None
    problems.extend(parsed.problems)
    return parsed


def _publication(
    printed_raw: str | None, meta_raw: str | None, problems: list[tuple[str, str]]
) -> PublicationDate | None:
    """The publication date: the meta tag's when present (checked against the printed one)."""
    printed = _parsed(printed_raw, parse_jalali, problems)
    meta = _parsed(meta_raw, parse_iso, problems, "meta_date_unparseable")
    if meta and printed and not agree(meta, printed):
        problems.append(("date_mismatch", f"meta {meta.iso} vs printed {printed_raw!r}"))
    if meta:
        return PublicationDate(moment=meta.moment, raw=printed_raw or meta_raw or "")
    if not printed_raw and not meta_raw:
        problems.append(("date_missing", "no date element and no article:published_time"))
    return printed


def _modification(
    meta_raw: str | None, published: PublicationDate | None, problems: list[tuple[str, str]]
) -> str | None:
    """``article:modified_time`` as ISO 8601 in Iran time, kept as the page gives it; one
    earlier than the publication is reported (``modified_before_published``), not corrected."""
    modified = _parsed(meta_raw, parse_iso, problems, "meta_modified_unparseable")
    if modified and published and before(modified, published):
        problems.append(
            ("modified_before_published", f"modified {modified.iso}, published {published.iso}")
        )
    return modified.iso if modified else None


def parse_article(
    sel: Selector,
    *,
    url: str,
    base_url: str,
    crawled_at: str,
    status: int = 200,
    archive_record: str | None = None,
) -> ArticlePage:
    """Parse an article page; raise :class:`NotAnArticle` for error pages and listings.

    ``archive_record`` is where the page's bytes are archived, kept on the article as given."""
    root = scope_of(sel.root)
    _check_not_error_page(root, status)
    loader = ArticleLoader()
    loader.add_value("title", _texts(first_match(root, TITLE)))
    loader.add_value("uptitle", _texts(first_match(root, UPTITLE)))
    loader.add_value("lead", _texts(first_match(root, LEAD)))
    body = body_element(root)
    loader.add_value("body", paragraphs(body) if body is not None else [])
    loader.add_value("news_code", _texts(first_match(root, NEWS_CODE)))
    url_code = news_code_from_url(url)
    loader.add_value("news_code", str(url_code) if url_code else None)
    loader.add_value("tags", _all_texts(root, TAGS))
    loader.add_value("breadcrumbs", _breadcrumb_texts(root))
    data = loader.load_item()
    news_code, title = data.get("news_code"), data.get("title")
    kind = _kind(root)
    if news_code is None or title is None:
        raise NotAnArticle("not_an_article")
    crumbs = [crumb for crumb in data.get("breadcrumbs") or [] if crumb not in HOME_CRUMBS]
    problems: list[tuple[str, str]] = []
    if kind == "news" and body is None:
        # Kept (with an empty body) so validation and the monitors name the missing field.
        problems.append(("body_missing", f"no body element ({', '.join(BODY)})"))
    printed_raw = _printed_date(root)
    meta_raw = _meta(root, META_PUBLISHED)
    published = _publication(printed_raw, meta_raw, problems)
    modified_at = _modification(_meta(root, META_MODIFIED), published, problems)
    body_text = data.get("body") or ""
    lead = data.get("lead")
    article = Article(
        news_code=news_code,
        url=canonical_url(base_url, news_code, _slug(root, url, news_code)),
        title=title,
        uptitle=data.get("uptitle"),
        lead=lead,
        body=body_text,
        published_at=published.iso if published else None,
        published_at_jalali=published.jalali if published else None,
        published_at_raw=published.raw if published else (printed_raw or meta_raw),
        service=crumbs[0] if crumbs else None,
        category=crumbs[1] if len(crumbs) > 1 else None,
        tags=data.get("tags") or [],
        image_urls=_images(root, body, url),
        kind=kind,
        crawled_at=crawled_at,
        content_hash=content_hash(title, lead, body_text),
        modified_at=modified_at,
        archive_record=archive_record,
    )
    return ArticlePage(article=article, problems=problems)
