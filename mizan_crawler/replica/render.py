"""HTML of the replica's pages, in the live site's two themes.

Text is dressed with the noise real pages carry (Arabic letters, NBSP, doubled spaces, stray and
doubled ZWNJs, bidi marks, soft hyphens), none of which a correct parser may keep, and page chrome a
parser must leave out (scripts, ads, share widgets, players, the end marker, comments).
"""

from __future__ import annotations

import json
import random
from html import escape
from urllib.parse import quote

import jdatetime

from .chrome import Chrome
from .corpus import ReplicaArticle
from .shortlinks import short_link
from .words import MONTHS, WEEKDAYS

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
SITE_NAME = "خبرگزاری میزان"


def noisy(text: str, rng: random.Random) -> str:
    """``text`` with noise that normalisation must undo exactly."""
    if rng.random() < 0.3:
        text = text.replace("ی", "ي").replace("ک", "ك")
    words = text.split(" ")
    for position in range(1, len(words)):
        roll = rng.random()
        if roll < 0.05:
            words[position] = "\u00a0" + words[position]
        elif roll < 0.08:
            words[position] = " " + words[position]
        elif roll < 0.10:
            words[position] = "\u200c" + words[position]
        elif roll < 0.11 and len(words[position]) > 3:
            words[position] = words[position][:2] + "\u00ad" + words[position][2:]
    text = " ".join(words).replace("\u200c", "\u200c\u200c", 1 if rng.random() < 0.2 else 0)
    return ("\u200f" if rng.random() < 0.1 else "") + text


def printed_date(article: ReplicaArticle) -> str:
    """The publication date as the page prints it, in the article's date form."""
    local = jdatetime.datetime.fromgregorian(datetime=article.published.replace(tzinfo=None))
    day, month, year = local.day, MONTHS[local.month - 1], local.year
    hhmm = f"{local.hour:02d}:{local.minute:02d}"
    forms = (
        lambda: f"{day} {month} {year} - {hhmm}".translate(FA_DIGITS),
        lambda: f"{local.hour}:{local.minute:02d} - {day} {month} {year}",
        lambda: (
            f"تاریخ انتشار: {WEEKDAYS[article.published.weekday()]} {day} {month} {year} - {hhmm}".translate(
                FA_DIGITS
            )
        ),
        lambda: f"{year}/{local.month:02d}/{day:02d} - {hhmm}".translate(FA_DIGITS),
        lambda: f"{hhmm} - {year}/{local.month:02d}/{day:02d}",
        lambda: f"\u200f{day}  {month.replace('ی', 'ي')}  {year} - {hhmm}".translate(AR_DIGITS),
    )
    return forms[article.date_form]()


def _head(article: ReplicaArticle, rng: random.Random) -> str:
    parts = [
        '<meta charset="utf-8">',
        f"<title>{escape(article.title)} | {SITE_NAME}</title>",
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{escape(noisy(article.title, rng))}">',
    ]
    if article.theme == "current":
        parts.append(f'<link rel="canonical" href="{_href(article, rng)}">')
    if article.lead:
        parts.append(f'<meta name="description" content="{escape(article.lead)}">')
    if article.with_meta_date:
        parts.append(
            f'<meta property="article:published_time" content="{article.published.isoformat()}">'
        )
    return "".join(parts)


def _href(article: ReplicaArticle, rng: random.Random) -> str:
    slug = quote(article.slug) if rng.random() < 0.5 else article.slug
    return f"/fa/news/{article.news_code}/{escape(slug)}"


def _paragraphs_html(article: ReplicaArticle, rng: random.Random, old: bool) -> str:
    blocks = [escape(noisy(text, rng)) for text in article.paragraphs]
    if blocks and rng.random() < 0.5:
        blocks[-1] += " انتهای پیام/"
    elif blocks:
        blocks.append("انتهای پیام/")
    joined = "<br /><br />".join(blocks) if old else "".join(f"<p>{block}</p>" for block in blocks)
    chrome = (
        '<div class="ads_inline"><script>var ad = "تبلیغ";</script>پیشنهاد ویژه</div>'
        '<div class="share_box"><a href="#">اشتراک‌گذاری</a></div>'
        "<script>window.dataLayer = [];</script>"
    )
    image = ""
    if article.kind == "news" and article.images:
        image = f'<p><img src="{article.images[0]}" alt=""></p>'
    return image + joined + chrome


def _tags_html(article: ReplicaArticle, old: bool) -> str:
    if not article.tags:
        return ""
    if old:
        items = "".join(
            f'<li><a href="/fa/tag/1/{quote(tag)}">{escape(tag)}</a></li>' for tag in article.tags
        )
        return f'<div class="tags"><ul>{items}</ul></div>'
    links = " ".join(
        f'<a href="/fa/tags/{n}" class="tag_item">{escape(tag)}</a>'
        for n, tag in enumerate(article.tags)
    )
    return f'<div class="tags_container"><div class="tags_title">{links}</div></div>'


def _media_html(article: ReplicaArticle) -> str:
    if article.kind == "photo":
        links = "".join(f'<a href="{src}"><img src="{src}" alt=""></a>' for src in article.images)
        return f'<div class="image_set">{links}</div>'
    if article.kind == "video":
        return (
            f'<div id="mainNewsVideo"><video poster="{article.images[0]}" controls>'
            f'<source src="/files/fa/video/{article.news_code}.mp4"></video>'
            '<script>jwplayer("mainNewsVideo").setup({autostart: false});</script></div>'
        )
    return ""


def _crumbs(article: ReplicaArticle, old: bool) -> str:
    home = '<a href="/fa">خانه</a> » ' if old else '<a href="/fa/s/0">صفحه نخست</a> '
    return (
        f'<div class="news_path">{home}<a href="/fa/{article.service_slug}">{escape(article.service)}</a>'
        f'{" » " if old else " "}<a href="/fa/{article.service_slug}/1">{escape(article.category)}</a></div>'
    )


COMMENTS = (
    '<div class="comments_form"><h3>ارسال دیدگاه</h3><form method="post" action="/fa/ajax/comment">'
    '<textarea name="body"></textarea></form></div>'
    '<div class="comments_item"><div class="body">نظر یک خواننده که جزو خبر نیست</div></div>'
)
NAV = (
    '<ul class="nav"><li class="nav_link"><a href="/fa/judicial">قضایی</a></li>'
    '<li class="nav_link"><a href="/fa/politic">سیاسی</a></li></ul>'
)


def _body_div(inner: str, attributes: str, script_body: bool) -> str:
    """The body element; with ``script_body`` it is empty and the script after it fills it in,
    as a script-built theme would (only a browser then sees the article)."""
    if not script_body:
        return f"<div {attributes}>{inner}</div>"
    source = json.dumps(inner).replace("</", "<\\/")  # never close the script early
    return (
        f"<div {attributes}></div>"
        f"<script>document.currentScript.previousElementSibling.innerHTML = {source};</script>"
    )


def _current_article(article: ReplicaArticle, rng: random.Random, script_body: bool) -> str:
    photo = article.kind == "photo"
    date_class = "photo_pdate" if photo else "news_nav news_pdate_c"
    lead_class = "subtitle_photo" if photo else "subtitle"
    parts = [
        '<div class="main_news_body row_news_body"><div class="news_toolbar">',
        f'<div class="{date_class}">{escape(printed_date(article))}</div>',
        '<div class="news_nav news_id_c"><span class="news_nav_title">کد خبر: </span>'
        f"{str(article.news_code).translate(FA_DIGITS)}</div></div>",
        _crumbs(article, old=False),
    ]
    if article.uptitle:
        parts.append(f'<div class="rutitr">{escape(noisy(article.uptitle, rng))}</div>')
    parts.append(
        f'<h1 class="title"><a href="{_href(article, rng)}">{escape(noisy(article.title, rng))}</a></h1>'
    )
    if article.lead:
        parts.append(f'<div class="{lead_class}">{escape(noisy(article.lead, rng))}</div>')
    parts.append(_media_html(article))
    if article.paragraphs or not photo:
        inner = _paragraphs_html(article, rng, old=False)
        parts.append(_body_div(inner, 'class="body"', script_body))
    parts.append(_tags_html(article, old=False) + "</div>")
    return "".join(parts)


def _old_article(article: ReplicaArticle, rng: random.Random, script_body: bool) -> str:
    parts = [
        _crumbs(article, old=True),
        '<div class="news_body">',
        f'<div class="news_pdate_c">{escape(printed_date(article))}</div>',
        f'<div class="news_id_c">کد خبر: {str(article.news_code).translate(FA_DIGITS)}</div>',
    ]
    if article.uptitle:
        parts.append(f'<div class="rutitr">{escape(noisy(article.uptitle, rng))}</div>')
    parts.append(
        f'<h1 class="Htag"><a href="{_href(article, rng)}">{escape(noisy(article.title, rng))}</a></h1>'
    )
    if article.lead:
        parts.append(f'<div class="subtitle">{escape(noisy(article.lead, rng))}</div>')
    if article.kind == "photo":
        images = "".join(f'<img src="{src}" alt="">' for src in article.images)
        parts.append(f'<div class="album_listi">{images}</div>')
    elif article.kind == "video":
        parts.append(
            f'<div class="news_video"><video poster="{article.images[0]}"></video>'
            "<script>player.load();</script></div>"
        )
    if article.paragraphs or article.kind == "news":
        inner = _paragraphs_html(article, rng, old=True)
        parts.append(_body_div(inner, 'class="body" style="text-align:justify"', script_body))
    parts.append(_tags_html(article, old=True) + "</div>")
    return "".join(parts)


def article_page(
    article: ReplicaArticle, *, script_body: bool = False, chrome: Chrome | None = None
) -> str:
    """The whole HTML page of ``article`` in its theme; with ``script_body`` its body is inserted
    by a script from a JavaScript string; with ``chrome``, at the live site's weight (the menus,
    lists, scripts and footer around the same article markup, see chrome.py)."""
    rng = random.Random(article.noise_seed)
    head = _head(article, rng)
    body_id = article.kind if article.kind != "news" else "news"
    build = _current_article if article.theme == "current" else _old_article
    content = build(article, rng, script_body)
    opening = f'<!DOCTYPE html><html lang="fa-IR" dir="rtl"><head>{head}'
    if chrome is not None:
        return (
            f'{opening}{chrome.head}</head><body id="{body_id}">{chrome.top(article)}'
            f"{content}{COMMENTS}{chrome.bottom(article)}</body></html>"
        )
    return (
        f'{opening}</head><body id="{body_id}">{NAV}{content}{COMMENTS}'
        '<footer><a href="/fa/rss/allnews">RSS</a> | طراحی و تولید: ایران سامانه</footer></body></html>'
    )


def error_page() -> str:
    """The CMS's page for a missing or withdrawn article."""
    return (
        '<!DOCTYPE html><html lang="fa-IR" dir="rtl"><head><meta charset="utf-8">'
        f"<title>صفحه مورد نظر یافت نشد | {SITE_NAME}</title></head><body>{NAV}"
        '<div class="error_page"><h1>خطا</h1><p>صفحه مورد نظر یافت نشد.</p></div></body></html>'
    )


def listing_page(
    articles: list[ReplicaArticle],
    page: int,
    pages: int,
    heading: str = "آخرین اخبار",
    *,
    short_links: bool = False,
    redesigned: bool = False,
) -> str:
    """A page of a listing (``/fa/allnews``, a service, the archive): articles, newest first;
    linking by short link, or in a redesigned markup no card selector knows, when asked."""
    items = []
    for article in articles:
        local = jdatetime.datetime.fromgregorian(datetime=article.published.replace(tzinfo=None))
        stamp = (
            f"{local.hour:02d}:{local.minute:02d} - {local.year}/{local.month:02d}/{local.day:02d}"
        )
        href = short_link(article.news_code) if short_links else article.path
        if redesigned:
            items.append(
                f'<article class="news-card"><a class="news-card__link" href="{href}">'
                f"{escape(article.title)}</a><time>{stamp}</time></article>"
            )
            continue
        items.append(
            f'<div class="linear_news"><h3 class="Htags"><a class="title5" href="{href}" '
            f'title="{stamp}">{escape(article.title)}</a></h3></div>'
        )
    pager = f'<div id="pager">صفحه {page} از {pages}</div>'.translate(FA_DIGITS)
    return (
        '<!DOCTYPE html><html lang="fa-IR" dir="rtl"><head><meta charset="utf-8">'
        f"<title>{escape(heading)} | {SITE_NAME}</title></head><body>{NAV}"
        f'<h1 class="title">{escape(heading)}</h1>{"".join(items)}{pager}</body></html>'
    )
