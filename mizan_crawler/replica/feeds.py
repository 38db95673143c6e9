"""Text of the replica's machine-readable pages: RSS, sitemaps and robots.txt.

Pure functions of articles and a base URL, like :mod:`render` for HTML. Feed links vary among the
URL forms of one article the way real feeds do, so a discovery spider has to reduce them to the
news code; sitemaps give the canonical path with the slug percent-encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from .corpus import ReplicaArticle
from .jalali import Month
from .render import SITE_NAME
from .shortlinks import short_link

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
DISALLOWED = (
    "/fa/save",
    "/fa/print",
    "/fa/send",
    "/fa/report",
    "/fa/ajax",
    "/fa/archive",
    "/fa/news/play",
)

Entry = tuple[ReplicaArticle, datetime]


def rss_link(article: ReplicaArticle) -> str:
    """One of the article's URL forms, chosen by the article so a feed mixes them."""
    forms = (
        article.path,
        article.encoded_path,
        f"/fa/news/{article.news_code}",
        f"{article.encoded_path}?utm_source=rss",
    )
    return forms[article.noise_seed % len(forms)]


def _rss_item(article: ReplicaArticle, base_url: str, short_links: bool) -> str:
    link = short_link(article.news_code) if short_links else rss_link(article)
    guid = link if short_links else f"/fa/news/{article.news_code}"
    return (
        f"<item><title>{escape(article.title)}</title>"
        f"<link>{escape(base_url + link)}</link>"
        f'<guid isPermaLink="true">{base_url}{guid}</guid>'
        f"<pubDate>{format_datetime(article.published)}</pubDate>"
        f"<description>{escape(article.lead or '')}</description></item>"
    )


def rss(
    articles: Iterable[ReplicaArticle], base_url: str, built: datetime, short_links: bool = False
) -> str:
    """An RSS 2.0 channel of ``articles`` in the order given (linking by short link if asked)."""
    items = "".join(_rss_item(article, base_url, short_links) for article in articles)
    return (
        f'{XML_DECLARATION}<rss version="2.0"><channel><title>{SITE_NAME}</title>'
        f"<link>{base_url}/fa/allnews</link><description>آخرین اخبار {SITE_NAME}</description>"
        f"<language>fa</language><lastBuildDate>{format_datetime(built)}</lastBuildDate>"
        f"{items}</channel></rss>"
    )


def _news_element(article: ReplicaArticle) -> str:
    """The Google News ``<news:news>`` of an article: its publication date, among others."""
    return (
        f"<news:news><news:publication>"
        f"<news:name>{SITE_NAME}</news:name><news:language>fa</news:language></news:publication>"
        f"<news:publication_date>{article.published.isoformat()}</news:publication_date>"
        f"<news:title>{escape(article.title)}</news:title></news:news>"
    )


def _news_url(entry: Entry, base_url: str) -> str:
    article, modified = entry
    return (
        f"<url><loc>{escape(base_url + article.encoded_path)}</loc>"
        f"<lastmod>{modified.isoformat()}</lastmod>{_news_element(article)}</url>"
    )


def news_sitemap(entries: Iterable[Entry], base_url: str) -> str:
    """A Google News ``<urlset>`` of recent articles with their lastmod."""
    urls = "".join(_news_url(entry, base_url) for entry in entries)
    return f'{XML_DECLARATION}<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">{urls}</urlset>'


def urlset(entries: Iterable[Entry], base_url: str, publication_dates: bool = False) -> str:
    """A plain ``<urlset>``: ``<loc>`` and ``<lastmod>`` per article, and with
    ``publication_dates`` each article's ``<news:news>`` too."""
    urls = "".join(
        f"<url><loc>{escape(base_url + article.encoded_path)}</loc>"
        f"<lastmod>{modified.isoformat()}</lastmod>"
        f"{_news_element(article) if publication_dates else ''}</url>"
        for article, modified in entries
    )
    news = f' xmlns:news="{NEWS_NS}"' if publication_dates else ""
    return f'{XML_DECLARATION}<urlset xmlns="{SITEMAP_NS}"{news}>{urls}</urlset>'


def month_sitemap_path(month: Month) -> str:
    """Path and query of one month's urlset in the archive sitemap."""
    return f"/fa-sitemap-newsarchive?y={month[0]}&m={month[1]}"


def sitemap_index(
    months: Iterable[tuple[Month, datetime]],
    base_url: str,
    path: Callable[[Month], str] = month_sitemap_path,
) -> str:
    """A ``<sitemapindex>`` with one monthly urlset per entry, each at ``path(month)``."""
    sitemaps = "".join(
        f"<sitemap><loc>{escape(base_url + path(month))}</loc>"
        f"<lastmod>{modified.isoformat()}</lastmod></sitemap>"
        for month, modified in months
    )
    return f'{XML_DECLARATION}<sitemapindex xmlns="{SITEMAP_NS}">{sitemaps}</sitemapindex>'


def robots(base_url: str, archive_allowed: bool, crawl_delay: float | None = None) -> str:
    """The CMS's default robots.txt, optionally without the archive rule or with a
    ``Crawl-delay``, and the sitemaps."""
    rules = [path for path in DISALLOWED if not (archive_allowed and path == "/fa/archive")]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in rules)]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    lines.append("")
    lines += [f"Sitemap: {base_url}/fa-sitemap-newsarchive", f"Sitemap: {base_url}/fa-sitemap-news"]
    return "\n".join(lines) + "\n"
