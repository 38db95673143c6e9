"""The record the crawler produces: one typed, logic-free ``Article`` class.

Field names and types are the public schema that exports, stores and users rely on. Each field
carries its one-line description, used by dataset cards and schemas, so it is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def _doc(text: str, **kwargs: Any) -> Any:
    return field(metadata={"doc": text}, **kwargs)


@dataclass(kw_only=True)
class Article:
    """One Mizan article (news, photo or video page)."""

    news_code: int = _doc("کد خبر, the article's identity on the site; from the page, else the URL")
    url: str = _doc("canonical URL `{base}/fa/news/{news_code}/{slug}` (slug as the site gives it)")
    title: str = _doc("headline")
    body: str = _doc(
        "article text only, paragraphs joined by one blank line; empty on a photo or video page "
        "without text"
    )
    published_at: str | None = _doc(
        "ISO 8601 with Iran's offset of that day; null when the page's date could not be read "
        "(the article is kept, the printed text in `published_at_raw`, the problem logged; a date "
        "is never guessed)"
    )
    published_at_jalali: str | None = _doc("Jalali date and time, `1403-03-12 08:00`")
    published_at_raw: str | None = _doc("the date text as printed on the page")
    kind: str = _doc("`news`, `photo` or `video`")
    crawled_at: str = _doc("when the page was fetched, ISO 8601 UTC")
    content_hash: str = _doc(
        "sha256 hex of the normalised title, lead and body; changes when an article is edited"
    )
    uptitle: str | None = _doc("روتیتر, the line above the headline", default=None)
    lead: str | None = _doc("لید, the summary under the headline", default=None)
    service: str | None = _doc("first breadcrumb after the home crumb (e.g. سیاسی)", default=None)
    category: str | None = _doc("second breadcrumb after the home crumb", default=None)
    tags: list[str] = _doc("tag labels in page order", default_factory=list)  # noqa: RUF009
    image_urls: list[str] = _doc(  # noqa: RUF009
        "absolute URLs of the article's images, in page order, without repeats",
        default_factory=list,
    )
    source: str = _doc("the publishing site", default="mizanonline.ir")
    language: str = _doc("ISO 639-1 language of the text", default="fa")
    modified_at: str | None = _doc(
        "last modification as the page's `article:modified_time` gives it, ISO 8601 with Iran's "
        "offset; null when the page has none (or an unreadable one, logged)",
        default=None,
    )
    archive_record: str | None = _doc(
        "where the fetched page lies in the web archive, `<WARC file name>#<byte offset>` of its "
        "response record; null when no archive was kept",
        default=None,
    )
    withdrawn_at: str | None = _doc(
        "when a crawl first found the stored article gone from the site (404, 410 or the CMS's "
        "error page), ISO 8601 UTC; null while the site serves it (cleared when it comes back: "
        "the store keeps each withdrawal and return); the store's observation, not the page's",
        default=None,
    )


ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
FIELD_DOCS: dict[str, str] = {f.name: f.metadata["doc"] for f in fields(Article)}
