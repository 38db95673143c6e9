"""The site chrome of a live article page: what surrounds the article at the live site's weight.

A real Mizan page is about 185 KB, most of it not the article: the service and category menus
(tens of KB of links), a news ticker, "most read" and related lists linking to other articles,
latest-news boxes per service, inline scripts and a long footer. Replica pages at ``weight="live"``
carry chrome of that size and shape (about 180 KiB a page), so benchmarks measure parsing and
crawling on pages as heavy as the site's; ``weight="light"`` pages (the default) carry almost none.

The chrome holds decoys a careless extractor picks up and a correct parser must not: ``title``
classes on list items, Jalali dates and times in "most read" and latest-news items (and today's
date in the header), thumbnails, and links to other articles (the related and "most read" lists
link to real articles of the corpus, which any link-following crawler would see).

Everything is deterministic: the menus, scripts and footer are built once per corpus from its
seed; the lists around an article come from its neighbours in the corpus, computed cheaply
(title and service only, never the whole article).
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from html import escape

import jdatetime

from .corpus import Corpus, ReplicaArticle
from .words import MONTHS, SERVICES, WORDS

WEIGHTS = ("light", "live")
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Sections of the main menu beyond the article services: the live site's menu lists dozens.
SECTIONS = (
    "اخبار قضایی", "دادگاه\u200cها", "دادستانی", "سازمان زندان\u200cها", "حقوق شهروندی",
    "سیاست داخلی", "سیاست خارجی", "مجلس", "دولت", "احزاب", "امنیتی و دفاعی", "انتخابات",
    "جامعه", "حوادث", "پلیس", "آموزش", "سلامت", "محیط زیست", "اقتصاد کلان", "بازار",
    "بانک و بیمه", "بورس", "صنعت و معدن", "انرژی", "فرهنگ و هنر", "سینما", "کتاب و ادبیات",
    "دین و اندیشه", "فضای مجازی", "فناوری", "بین\u200cالملل", "غرب آسیا", "اروپا", "آمریکا",
    "ورزش", "فوتبال", "کشتی", "استان\u200cها", "عکس", "فیلم", "اینفوگرافیک", "گفت\u200cوگو",
)  # fmt: skip
LINKS_PER_SECTION = 16
MOST_READ = 10
RELATED = 8
LATEST_BOXES = len(SERVICES)
LATEST_PER_BOX = 8
TICKER = 15
FOOTER_LINKS = 120
SCRIPT_LINES = 480
NEIGHBOURS_KEPT = 4096
NEIGHBOURHOOD = 200


@dataclass(frozen=True)
class Neighbour:
    """What a list item shows of another article, escaped for HTML: its path, title, service
    and printed date."""

    news_code: int
    path: str
    title: str
    service: str
    stamp: str


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def _stamp(moment: datetime) -> str:
    """A list item's date and time as the live site prints it: ``۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰``."""
    local = jdatetime.datetime.fromgregorian(datetime=moment.replace(tzinfo=None))
    text = (
        f"{local.day} {MONTHS[local.month - 1]} {local.year} - {local.hour:02d}:{local.minute:02d}"
    )
    return text.translate(FA_DIGITS)


def _item(neighbour: Neighbour, css: str, thumbnail: bool) -> str:
    path, title = neighbour.path, neighbour.title
    image = ""
    if thumbnail:
        image = (
            f'<a href="{path}" class="thumb"><img src="/files/fa/thumbnails/'
            f'{neighbour.news_code}_thumb.jpg" alt="{title}"></a>'
        )
    return (
        f'<li class="{css}">{image}<div class="title"><a href="{path}" title="{title}">{title}'
        f'</a></div><span class="{css}_service">{neighbour.service}</span>'
        f'<span class="{css}_date">{neighbour.stamp}</span></li>'
    )


def _box(heading: str, css: str, neighbours: list[Neighbour], thumbnail: bool = False) -> str:
    items = "".join(_item(neighbour, css, thumbnail) for neighbour in neighbours)
    return (
        f'<div class="box {css}_box"><div class="box_header"><h2 class="title">{escape(heading)}'
        f'</h2></div><ul class="{css}_list">{items}</ul></div>'
    )


class Chrome:
    """The chrome of ``corpus``'s live pages: static parts built once, lists per article."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._rng_seed = f"chrome:{corpus.seed}"
        # Neighbours of nearby articles overlap, so a crawl in order rebuilds few of them.
        self._known: OrderedDict[int, Neighbour] = OrderedDict()

    def _rng(self, part: str) -> random.Random:
        return random.Random(f"{self._rng_seed}:{part}")

    def neighbour(self, index: int) -> Neighbour:
        """The list item of the article at ``index``, from its opening draws alone."""
        found = self._known.get(index)
        if found is None:
            found = self._known[index] = self._build_neighbour(index)
            if len(self._known) > NEIGHBOURS_KEPT:
                self._known.popitem(last=False)
        return found

    def _build_neighbour(self, index: int) -> Neighbour:
        _, title, (service, _, _) = self.corpus.opening(index)
        slug = "-".join(title.split()[:8])
        code = self.corpus.news_code(index)
        path, stamp = escape(f"/fa/news/{code}/{slug}"), _stamp(self.corpus.published(index))
        return Neighbour(code, path, escape(title), escape(service), stamp)

    def _neighbours(self, article: ReplicaArticle, part: str, count: int) -> list[Neighbour]:
        """``count`` other articles published shortly before ``article`` (after it, near the
        start of the corpus), newest first."""
        rng = random.Random(f"{self._rng_seed}:{part}:{article.index}")
        low = max(0, article.index - NEIGHBOURHOOD)
        high = min(len(self.corpus), low + NEIGHBOURHOOD + 1)
        pool = [index for index in range(low, high) if index != article.index]
        picks = rng.sample(pool, min(count, len(pool)))
        return [self.neighbour(index) for index in sorted(picks, reverse=True)]

    @cached_property
    def head(self) -> str:
        """Style sheets, scripts and site-wide meta tags (no article fields among them)."""
        rng = self._rng("head")
        styles = "".join(
            f'<link rel="stylesheet" href="/client/themes/fa/main/css/{name}.css?v={rng.randrange(10**6)}">'
            for name in ("bootstrap", "fonts", "main", "news", "menu", "print", "swiper")
        )
        config = ",".join(
            f'"{key}_{n}":"{rng.randrange(16**8):08x}"'
            for n, key in enumerate(rng.choices(("slot", "zone", "unit", "tag"), k=120))
        )
        return (
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta property="og:site_name" content="خبرگزاری میزان">'
            '<meta name="twitter:site" content="@mizanonline">'
            '<link rel="shortcut icon" href="/client/themes/fa/main/img/favicon.ico">'
            f'{styles}<script src="/client/themes/fa/main/js/jquery.min.js"></script>'
            f"<script>var siteConfig = {{{config}}};</script>"
        )

    @cached_property
    def menu(self) -> str:
        """The header (logo, today's date, search) and the mega menu of every section."""
        rng = self._rng("menu")
        services = "".join(
            f'<li class="nav_link"><a href="/fa/{slug}">{escape(name)}</a></li>'
            for name, slug, _ in SERVICES
        )
        sections = []
        for number, section in enumerate(SECTIONS, 1):
            links = "".join(
                f'<li class="menu_item"><a href="/fa/service/{number}/{n}" title="{escape(_words(rng, 2, 4))}">'
                f"{escape(_words(rng, 1, 3))}</a></li>"
                for n in range(1, LINKS_PER_SECTION + 1)
            )
            sections.append(
                f'<li class="menu_section"><a class="menu_title" href="/fa/service/{number}">'
                f'{escape(section)}</a><ul class="submenu">{links}</ul></li>'
            )
        today = _stamp(self.corpus.published(len(self.corpus) - 1)).split(" - ")[0]
        return (
            '<header class="site_header"><div class="top_bar"><a class="logo" href="/fa">'
            '<img src="/client/themes/fa/main/img/logo.png" alt="خبرگزاری میزان"></a>'
            f'<span class="header_date">{today}</span><form class="search" action="/fa/search">'
            '<input name="query" placeholder="جستجو"></form></div>'
            f'<nav><ul class="nav">{services}</ul><ul class="mega_menu">{"".join(sections)}</ul>'
            "</nav></header>"
        )

    @cached_property
    def footer(self) -> str:
        """The footer's link columns, address and the analytics and ad scripts."""
        rng = self._rng("footer")
        links = "".join(
            f'<li><a href="/fa/page/{n}">{escape(_words(rng, 1, 3))}</a></li>'
            for n in range(1, FOOTER_LINKS + 1)
        )
        lines = "\n".join(
            f"  w.q{n % 9}.push(['{rng.choice(('track', 'slot', 'view', 'load'))}', "
            f"'{rng.randrange(16**12):012x}', {rng.randrange(10**4)}]);"
            for n in range(SCRIPT_LINES)
        )
        return (
            f'<footer class="site_footer"><ul class="footer_links">{links}</ul>'
            '<div class="address">تهران، خیابان ولیعصر، خبرگزاری میزان | تلفن: ۰۲۱۸۸۰۰۰۰۰۰</div>'
            '<div class="copyright">کلیه حقوق این سایت متعلق به خبرگزاری میزان است. '
            "طراحی و تولید: ایران سامانه</div></footer>"
            f"<script>(function (w) {{\n{lines}\n}})(window);</script>"
            '<script src="/client/themes/fa/main/js/main.min.js"></script>'
        )

    def top(self, article: ReplicaArticle) -> str:
        """Everything before the article: the header, menus and the news ticker."""
        ticker = "".join(
            f'<li><a class="title" href="{n.path}">{n.title}</a></li>'
            for n in self._neighbours(article, "ticker", TICKER)
        )
        return (
            f'{self.menu}<div class="news_ticker"><ul>{ticker}</ul></div>'
            '<div class="container"><div class="row"><div class="col_main">'
        )

    def bottom(self, article: ReplicaArticle) -> str:
        """Everything after the article: related news, the side column, the footer."""
        related = _box("اخبار مرتبط", "related", self._neighbours(article, "related", RELATED))
        most_read = _box(
            "پربازدیدترین", "most_read", self._neighbours(article, "most", MOST_READ), True
        )
        latest = "".join(
            _box(name, "latest", self._neighbours(article, f"latest{n}", LATEST_PER_BOX), True)
            for n, (name, _, _) in enumerate(SERVICES[:LATEST_BOXES])
        )
        return (
            f'{related}</div><div class="col_side">{most_read}{latest}</div></div></div>'
            f"{self.footer}"
        )
