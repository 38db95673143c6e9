"""The record the crawler produces: one typed, logic-free ``Article`` class.

Field names and types are the public schema that exports, stores and users rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(kw_only=True)
class Article:
    """One Mizan article (news, photo or video page)."""

    news_code: int
    """کد خبر, the article's identity on the site; from the page, else from the URL."""
    url: str
    """Canonical URL ``{base}/fa/news/{news_code}/{slug}`` (slug as the site gives it)."""
    title: str
    """Headline."""
    body: str
    """Article text only: paragraphs joined by one blank line. Empty on pure photo/video pages."""
    published_at: str | None
    """ISO 8601 with Iran's offset of that day. ``None`` only when the page's date could not be
    parsed: the error is logged with the raw text, never replaced by a guess."""
    published_at_jalali: str | None
    """Jalali date and time, ``1403-03-12 08:00``; ``None`` exactly when ``published_at`` is."""
    published_at_raw: str | None
    """The date text as printed on the page (or the meta tag's value when the page has none)."""
    kind: str
    """``news``, ``photo`` or ``video``."""
    crawled_at: str
    """When the page was fetched, ISO 8601 UTC."""
    content_hash: str
    """sha256 hex of the normalised title, lead and body; changes when an article is edited."""
    uptitle: str | None = None
    """روتیتر, the line above the headline."""
    lead: str | None = None
    """لید, the summary under the headline."""
    service: str | None = None
    """First breadcrumb after the home crumb (e.g. سیاسی)."""
    category: str | None = None
    """Second breadcrumb after the home crumb (e.g. سیاست خارجی)."""
    tags: list[str] = field(default_factory=list)
    """Tag labels in page order."""
    image_urls: list[str] = field(default_factory=list)
    """Absolute URLs of the article's own images, in page order, without repeats."""
    source: str = "mizanonline.ir"
    """The publishing site."""
    language: str = "fa"
    """ISO 639-1 language of the text."""


ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
