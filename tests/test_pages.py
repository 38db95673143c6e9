"""Unit tests of the article page module's helpers and body extraction."""

from __future__ import annotations

import pytest
from lxml import html
from parsel import Selector

from mizan_crawler.pages.article import (
    NotAnArticle,
    canonical_url,
    content_hash,
    news_code_from_url,
    parse_article,
    slug_from_url,
)
from mizan_crawler.pages.text_blocks import paragraphs


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://www.mizanonline.ir/fa/news/4776124/slug", 4776124),
        ("https://www.mizanonline.ir/fa/news/4776124", 4776124),
        ("http://mizanonline.com/fa/news/406185/", 406185),
        ("https://www.mizanonline.ir/fa/amp/news/4776124", 4776124),
        ("https://www.mizanonline.ir/fa/print/4776124", 4776124),
        ("https://www.mizanonline.ir/fa/news/4776124/x?utm_source=t", 4776124),
        ("https://www.mizanonline.ir/fa/allnews", None),
        ("https://www.mizanonline.ir/fa/judicial", None),
    ],
)
def test_news_code_from_url(url: str, code: int | None) -> None:
    assert news_code_from_url(url) == code


def test_slug_is_percent_decoded() -> None:
    url = "https://www.mizanonline.ir/fa/news/1/%D8%AE%D8%A8%D8%B1-%E2%80%8C%D9%85%D9%87%D9%85"
    assert slug_from_url(url) == "خبر-\u200cمهم"
    assert slug_from_url("https://www.mizanonline.ir/fa/news/1") is None


def test_canonical_url() -> None:
    assert canonical_url("http://h/", 5, "a-b") == "http://h/fa/news/5/a-b"
    assert canonical_url("http://h", 5, None) == "http://h/fa/news/5"


def test_content_hash_changes_with_any_part() -> None:
    base = content_hash("t", "l", "b")
    assert len(base) == 64
    assert len({base, content_hash("t2", "l", "b"), content_hash("t", None, "b")}) == 3
    assert content_hash("t", "l", "b") == base


def _blocks(markup: str) -> list[str]:
    return paragraphs(html.fromstring(markup))


def test_paragraphs_break_on_blocks_and_br() -> None:
    markup = "<div>intro<p>one <b>bold</b></p>two<br>three<br/><br/>four<div>five</div></div>"
    assert _blocks(markup) == ["intro", "one bold", "two", "three", "four", "five"]


def test_paragraphs_skip_scripts_players_ads_share_and_comments() -> None:
    markup = (
        "<div><p>keep<script>var x = 1;</script> this</p><style>p{}</style>"
        '<div class="ads_box">ad</div><div class="share_links">share</div>'
        '<div id="mainNewsVideo">player</div><div class="jwplayer">p</div>'
        '<div class="comments_item">comment</div><iframe>f</iframe><p>and this</p></div>'
    )
    assert _blocks(markup) == ["keep this", "and this"]


def test_paragraphs_walk_deep_nesting_without_recursion() -> None:
    deep = "<div>" + "<div>" * 200 + "deep" + "</div>" * 200 + "</div>"
    assert _blocks(deep) == ["deep"]
    # libxml2 stops building the tree past its depth limit; the walk must still not fail.
    deeper = "<div>" + "<span>" * 5000 + "x" + "</span>" * 5000 + "</div>"
    assert isinstance(_blocks(deeper), list)


def _page(body: str, title: str = '<h1 class="title">عنوان</h1>') -> Selector:
    return Selector(
        text=f'<html><body><div class="main_news_body">'
        f'<div class="news_nav news_id_c">کد خبر: ۱۲۳۴۵۶۷</div>{title}'
        f'<div class="news_nav news_pdate_c">۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰</div>{body}</div></body></html>'
    )


def _parse(sel: Selector, **kwargs: object) -> object:
    defaults = {"url": "https://www.mizanonline.ir/fa/news/1234567", "base_url": "https://b"}
    return parse_article(sel, crawled_at="t", **{**defaults, **kwargs})  # type: ignore[arg-type]


def test_end_marker_and_chrome_never_reach_body() -> None:
    sel = _page('<div class="body"><p>متن</p><p>پایان. انتهای پیام/</p><script>s()</script></div>')
    article = _parse(sel).article  # type: ignore[attr-defined]
    assert article.body == "متن\n\nپایان."


def test_the_parser_cleans_fields_and_is_idempotent() -> None:
    # The one place text is cleaned: whatever the page holds, the record comes out clean.
    title = '<h1 class="title"> رئيس\u00a0قوه </h1>'
    sel = _page('<div class="body"><p>يک</p><p></p><p> \u200f</p><p>دو</p></div>', title=title)
    article = _parse(sel).article  # type: ignore[attr-defined]
    assert article.title == "رئیس قوه"
    assert article.body == "یک\n\nدو"
    paragraphs = "".join(f"<p>{part}</p>" for part in article.body.split("\n\n"))
    again = _page(
        f'<div class="body">{paragraphs}</div>', title=f'<h1 class="title">{article.title}</h1>'
    )
    assert _parse(again).article == article  # type: ignore[attr-defined]


def test_the_parser_keeps_zwnj_in_the_body() -> None:
    sel = _page('<div class="body"><p>گفت\u200cوگو</p><p>نخست\u200cوزیر</p></div>')
    assert _parse(sel).article.body == "گفت\u200cوگو\n\nنخست\u200cوزیر"  # type: ignore[attr-defined]


def test_end_marker_joined_by_a_zwnj_leaves_no_loose_zwnj() -> None:
    sel = _page('<div class="body"><p>پایان\u200cانتهای پیام/</p></div>')
    article = _parse(sel).article  # type: ignore[attr-defined]
    assert article.body == "پایان"
    assert article.content_hash == content_hash(article.title, article.lead, "پایان")


def test_breadcrumbs_are_cleaned_and_the_home_crumb_left_out() -> None:
    crumbs = (
        '<div class="news_path"><a href="/fa">صفحه نخست</a><a href="/fa/x">خانه</a>'
        '<a href="/fa/s"> سياسي\u00a0</a><a href="/fa/e">\u200f </a><a href="/fa/c">مجلس</a></div>'
    )
    article = _parse(_page(crumbs + '<div class="body"><p>متن</p></div>')).article  # type: ignore[attr-defined]
    assert (article.service, article.category) == ("سیاسی", "مجلس")


def test_news_page_without_body_is_reported_not_hidden() -> None:
    page = _parse(_page(""))
    assert page.article.body == ""  # type: ignore[attr-defined]
    assert [kind for kind, _ in page.problems] == ["body_missing"]  # type: ignore[attr-defined]


def test_page_without_title_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        _parse(_page('<div class="body"><p>متن</p></div>', title=""))


def test_http_404_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle, match="http_404"):
        _parse(_page('<div class="body"><p>متن</p></div>'), status=404)


def test_images_are_absolute_unique_and_skip_data_urls() -> None:
    sel = _page(
        '<div class="body"><p><img src="/files/a.jpg"><img src="/files/a.jpg">'
        '<img src="data:image/png;base64,AAAA"><img src="https://cdn.example/b.jpg"></p></div>'
    )
    article = _parse(sel, url="https://www.mizanonline.ir/fa/news/1234567").article  # type: ignore[attr-defined]
    assert article.image_urls == [
        "https://www.mizanonline.ir/files/a.jpg",
        "https://cdn.example/b.jpg",
    ]
