"""What a Mizan article page means: an ``Article``, or the reason it is not one.

Each field has a short list of selectors, current theme first, then the older mizanonline.com
theme, then meta tags. Editing these lists is how a theme change is followed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from parsel import Selector

from ..dates import DateParseError, PublicationDate, agree, parse_iso, parse_jalali
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
PHOTO_MARKERS = (".image_set", ".album_listi", ".photo_pdate", ".subtitle_photo", "body#photo")
VIDEO_MARKERS = ("#mainNewsVideo", ".news_video", "body#video")
ERROR_MARKERS = (".error_page", ".page_404", ".notfound")
ERROR_TEXTS = ("صفحه مورد نظر یافت نشد", "خبر مورد نظر یافت نشد", "صفحه مورد نظر وجود ندارد")
HOME_CRUMBS = frozenset({"صفحه نخست", "صفحه اصلی", "خانه", "خبرگزاری میزان"})
META_PUBLISHED = "meta[property='article:published_time']::attr(content)"

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


def _first(sel: Selector, queries: tuple[str, ...]) -> Selector | None:
    for query in queries:
        found = sel.css(query)
        if found:
            return found[0]
    return None


def _texts(found: Selector | None, query: str | None = None) -> list[str]:
    """The string value of ``found`` (or of what ``query`` selects in it); meta tags give content."""
    if found is None:
        return []
    if found.root.tag == "meta":
        return found.xpath("@content").getall()
    targets = found.css(query) if query else [found]
    return [target.xpath("string()").get("") for target in targets]


def _all_texts(sel: Selector, queries: tuple[str, ...]) -> list[str]:
    for query in queries:
        found = sel.css(query)
        if found:
            return [item.xpath("string()").get("") for item in found]
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


def _check_not_error_page(sel: Selector, status: int) -> None:
    if status == 404:
        raise NotAnArticle("http_404")
    if _first(sel, ERROR_MARKERS) is not None:
        raise NotAnArticle("cms_error_page")
    title = " ".join(sel.css("title::text").getall())
    if any(text in title for text in ERROR_TEXTS):
        raise NotAnArticle("cms_error_page")


def _body(sel: Selector) -> Selector | None:
    """The article's body element; a ``.body`` inside a comment never counts."""
    for query in BODY:
        for found in sel.css(query):
            if not found.xpath("ancestor::*[contains(@class, 'comment')]"):
                return found
    return None


def _kind(sel: Selector) -> str:
    if _first(sel, VIDEO_MARKERS) is not None:
        return "video"
    if _first(sel, PHOTO_MARKERS) is not None:
        return "photo"
    return "news"


def _slug(sel: Selector, url: str, news_code: int) -> str | None:
    candidates = [
        *sel.css("link[rel='canonical']::attr(href)").getall(),
        *sel.css("meta[property='og:url']::attr(content)").getall(),
        *sel.css("h1.title a::attr(href), h1.Htag a::attr(href)").getall(),
        url,
    ]
    for candidate in candidates:
        if news_code_from_url(candidate) == news_code and (slug := slug_from_url(candidate)):
            return normalize_line(slug) or None
    return None


def _breadcrumbs(sel: Selector) -> list[str]:
    for query in BREADCRUMB:
        links = sel.css(query)
        if links:
            crumbs = []
            for link in links:
                text = normalize_line(link.xpath("string()").get(""))
                href = (link.attrib.get("href") or "").rstrip("/")
                if text and text not in HOME_CRUMBS and href not in ("", "/fa"):
                    crumbs.append(text)
            return crumbs
    return []


def _images(sel: Selector, body: Selector | None, page_url: str) -> list[str]:
    sources = body.css("img::attr(src)").getall() if body is not None else []
    for query in IMAGES:
        sources.extend(sel.css(query).getall())
    if not sources:
        sources = sel.css("meta[property='og:image']::attr(content)").getall()
    urls = (urljoin(page_url, source.strip()) for source in sources if source.strip())
    return list(dict.fromkeys(url for url in urls if url.startswith(("http://", "https://"))))


def _publication(sel: Selector, problems: list[tuple[str, str]]) -> PublicationDate | None:
    printed_raw = normalize_line(" ".join(_texts(_first(sel, DATE)))) or None
    meta_raw = sel.css(META_PUBLISHED).get()
    printed = meta = None
    if printed_raw:
        try:
            printed = parse_jalali(printed_raw)
        except DateParseError as exc:
            problems.append(("date_unparseable", str(exc)))
    if meta_raw:
        try:
            meta = parse_iso(meta_raw)
        except DateParseError as exc:
            problems.append(("meta_date_unparseable", str(exc)))
    if meta and printed and not agree(meta, printed):
        problems.append(("date_mismatch", f"meta {meta.iso} vs printed {printed_raw!r}"))
    if meta:
        return PublicationDate(moment=meta.moment, raw=printed_raw or meta_raw)
    if not printed_raw and not meta_raw:
        problems.append(("date_missing", "no date element and no article:published_time"))
    return printed


def parse_article(
    sel: Selector, *, url: str, base_url: str, crawled_at: str, status: int = 200
) -> ArticlePage:
    """Parse an article page; raise :class:`NotAnArticle` for error pages and listings."""
    _check_not_error_page(sel, status)
    problems: list[tuple[str, str]] = []
    loader = ArticleLoader(selector=sel)
    loader.add_value("title", _texts(_first(sel, TITLE)))
    loader.add_value("uptitle", _texts(_first(sel, UPTITLE)))
    loader.add_value("lead", _texts(_first(sel, LEAD)))
    body = _body(sel)
    loader.add_value("body", paragraphs(body.root) if body is not None else [])
    loader.add_value("news_code", _texts(_first(sel, NEWS_CODE)))
    url_code = news_code_from_url(url)
    loader.add_value("news_code", str(url_code) if url_code else None)
    loader.add_value("tags", _all_texts(sel, TAGS))
    data = loader.load_item()
    news_code, title = data.get("news_code"), data.get("title")
    kind = _kind(sel)
    if news_code is None or title is None or (kind == "news" and body is None):
        raise NotAnArticle("not_an_article")
    crumbs = _breadcrumbs(sel)
    published = _publication(sel, problems)
    body_text = data.get("body") or ""
    lead = data.get("lead")
    article = Article(
        news_code=news_code,
        url=canonical_url(base_url, news_code, _slug(sel, url, news_code)),
        title=title,
        uptitle=data.get("uptitle"),
        lead=lead,
        body=body_text,
        published_at=published.iso if published else None,
        published_at_jalali=published.jalali if published else None,
        published_at_raw=published.raw if published else _raw_date(sel),
        service=crumbs[0] if crumbs else None,
        category=crumbs[1] if len(crumbs) > 1 else None,
        tags=data.get("tags") or [],
        image_urls=_images(sel, body, url),
        kind=kind,
        crawled_at=crawled_at,
        content_hash=content_hash(title, lead, body_text),
    )
    return ArticlePage(article=article, problems=problems)


def _raw_date(sel: Selector) -> str | None:
    return normalize_line(" ".join(_texts(_first(sel, DATE)))) or sel.css(META_PUBLISHED).get()
