"""The replica site: deterministic corpus, URL forms, ground truth, realistic noise."""

from __future__ import annotations

import json
import re
import tracemalloc
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import pairwise
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import HTTPRedirectHandler, build_opener, urlopen

import jdatetime
import pytest
from parsel import Selector

from mizan_crawler.dates import parse_jalali
from mizan_crawler.pages.article import news_code_from_url, parse_article
from mizan_crawler.replica import Corpus, ReplicaServer, jalali, lastmod, short_link
from mizan_crawler.replica.__main__ import build_parser
from mizan_crawler.replica.__main__ import main as replica_main
from mizan_crawler.replica.catalog import Catalog
from mizan_crawler.replica.chrome import Chrome
from mizan_crawler.replica.corpus import TEHRAN, ReplicaArticle
from mizan_crawler.replica.render import FA_DIGITS, article_page, printed_date
from mizan_crawler.replica.shortlinks import base62, code_of_token, from_base62
from mizan_crawler.replica.words import SERVICES
from mizan_crawler.text import to_ascii_digits


def _get(url: str) -> tuple[int, str]:
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except OSError as error:  # HTTPError is an OSError and carries the status
        return getattr(error, "code", 0), ""


def test_same_seed_same_corpus_other_seed_other_corpus() -> None:
    first, again, other = Corpus(50, seed=1), Corpus(50, seed=1), Corpus(50, seed=2)
    assert [a.title for a in first] == [a.title for a in again]
    assert [article_page(a) for a in first] == [article_page(a) for a in again]
    assert [a.title for a in first] != [a.title for a in other]


def test_codes_rise_with_publication_time_and_map_back() -> None:
    corpus = Corpus(2000, seed=4)
    articles = list(corpus)
    assert all(a.news_code < b.news_code for a, b in pairwise(articles))
    assert all(a.published < b.published for a, b in pairwise(articles))
    assert all(corpus.index_of(a.news_code) == a.index for a in articles)
    taken = {a.news_code for a in articles}
    gaps = [
        code for code in range(articles[0].news_code, articles[-1].news_code) if code not in taken
    ]
    assert gaps and all(corpus.by_code(code) is None for code in gaps[:500])


def test_corpus_has_both_themes_all_kinds_and_every_date_form() -> None:
    corpus = Corpus(1000, seed=1)
    assert {a.theme for a in corpus} == {"current", "old"}
    assert {a.kind for a in corpus} == {"news", "photo", "video"}
    assert {a.date_form for a in corpus} == set(range(6))
    assert {len(str(a.news_code)) for a in corpus} == {6, 7}


def test_every_printed_date_reads_back_without_problems() -> None:
    """The weekday beside a date is the date's own (form 2 prints one): the parser checks it."""
    corpus = Corpus(700, seed=3)
    with_weekday = [a for a in corpus if a.date_form == 2]
    assert len(with_weekday) > 50
    for article in corpus:
        parsed = parse_jalali(printed_date(article))
        assert parsed.problems == (), printed_date(article)
        assert parsed.moment.timestamp() == article.published.timestamp()


def test_publication_times_are_real_iran_times_across_dst_changes() -> None:
    """Iran kept DST until 2022: no article is published at a wall time its spring change skipped,
    and the page prints the time its meta tag gives."""
    corpus = Corpus(5000, seed=1)  # 2020 to 2026: the last DST changes included
    assert corpus.start.year <= 2021
    for article in corpus:
        moment = article.published
        assert moment.isoformat() == moment.astimezone(UTC).astimezone(TEHRAN).isoformat()
    article = corpus.by_code(4700004)  # published 20:53 UTC, just after DST began on 2021-03-21
    assert article.published.isoformat() == "2021-03-22T01:23:00+04:30"
    assert "01:23" in to_ascii_digits(article_page(article))


def test_hundred_thousand_articles_without_holding_pages() -> None:
    tracemalloc.start()
    corpus = Corpus(100_000, seed=1)
    last = corpus.article(99_999)
    assert corpus.by_code(last.news_code) == last
    page = article_page(last)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert str(last.news_code).translate(FA_DIGITS) in page
    assert peak < 2_000_000


def test_pages_carry_the_noise_a_parser_must_remove() -> None:
    pages = "".join(article_page(a) for a in Corpus(200, seed=1))
    for noise in (
        "ي",
        "ك",
        "\u00a0",
        "\u200f",
        "\u00ad",
        "\u200c\u200c",
        "انتهای پیام/",
        "<script>",
    ):
        assert noise in pages, noise


def test_url_forms_and_status_codes(replica: ReplicaServer) -> None:
    article = next(a for a in replica.corpus if not a.withdrawn)
    base = replica.base_url
    assert _get(f"{base}/fa/news/{article.news_code}")[0] == 200
    status, page = _get(f"{base}/fa/news/{article.news_code}/{quote(article.slug)}")
    assert status == 200
    assert f"/fa/news/{article.news_code}/" in page
    assert _get(f"{base}/fa/news/123")[0] == 404
    assert _get(f"{base}/fa/allnews?p=1")[0] == 200
    assert _get(f"{base}/fa/allnews?p=9999")[0] == 404


def test_ground_truth_lists_what_exists(replica: ReplicaServer) -> None:
    status, body = _get(f"{replica.base_url}/_replica/truth")
    truth = json.loads(body)
    assert status == 200
    expected = [a.news_code for a in replica.corpus if not a.withdrawn]
    assert [row["news_code"] for row in truth] == expected
    one = json.loads(_get(f"{replica.base_url}/_replica/truth/{expected[0]}")[1])
    assert one["news_code"] == expected[0] and one["url"].startswith(replica.base_url)


def test_requests_are_logged(replica: ReplicaServer) -> None:
    _get(f"{replica.base_url}/fa/news/42")
    assert replica.requests_for("/fa/news/42")[-1].status == 404


def test_module_refuses_non_loopback_host() -> None:
    with pytest.raises(SystemExit, match="loopback"):
        replica_main(["--host", "0.0.0.0", "--port", "0"])


# Discovery: clock, edits, RSS, sitemaps, listings, archive, robots.txt, URL forms ---------------

DENSE_START = datetime(2024, 5, 1, tzinfo=TEHRAN)
DENSE_END = datetime(2024, 7, 1, tzinfo=TEHRAN)
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET, redirects not followed."""
    try:
        with build_opener(_NoRedirect).open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _xml(url: str) -> ET.Element:
    status, _, body = _fetch(url)
    assert status == 200, url
    return ET.fromstring(body)


def _code(url: str) -> int:
    return int(re.search(r"/fa/news/(\d+)", url).group(1))


def _listed(page: str) -> list[tuple[int, str]]:
    """(news code, title attribute) of each entry of a listing page."""
    links = Selector(text=page).css("div.linear_news a.title5")
    return [(_code(link.attrib["href"]), link.attrib["title"]) for link in links]


def _dense(**options: object) -> ReplicaServer:
    """About eight articles a day over May and June 2024, on its own server and clock."""
    return ReplicaServer(Corpus(500, seed=5, start=DENSE_START, end=DENSE_END), **options)


def test_binary_searches_agree_with_a_scan() -> None:
    corpus = Corpus(400, seed=3)
    moments = [corpus.published(i) for i in (0, 57, 199, 399)]
    moments += [moment + timedelta(seconds=s) for moment in moments for s in (-1, 1)]
    published = [corpus.published(index) for index in range(len(corpus))]
    for moment in moments:
        assert corpus.published_count(moment) == sum(p <= moment for p in published)
        assert corpus.count_before(moment) == sum(p < moment for p in published)
    since, until = moments[1], moments[2]
    assert list(corpus.index_range(since, until)) == [
        index for index, moment in enumerate(published) if since <= moment <= until
    ]


def test_catalog_tables_match_the_articles() -> None:
    corpus = Corpus(600, seed=9)
    catalog = Catalog(corpus)
    newest_first = [a for a in reversed(list(corpus)) if not a.withdrawn]
    assert len(newest_first) < len(corpus)
    for _, slug, _ in SERVICES:
        expected = [a.index for a in newest_first if a.service_slug == slug]
        assert list(catalog.service_live(slug, len(corpus))) == expected
        assert catalog.service_live_count(slug, 300) == sum(i < 300 for i in expected)
    span = range(100, 400)
    assert list(catalog.live(span)) == [
        a.index for a in corpus if a.index in span and not a.withdrawn
    ]
    assert catalog.live_count(span) == len(list(catalog.live(span)))


def test_about_fifteen_percent_are_edited_days_later() -> None:
    corpus = Corpus(2000, seed=2)
    edited = [a for a in corpus if a.edited_at is not None]
    assert 0.12 < len(edited) / len(corpus) < 0.18
    assert all(
        timedelta(days=1) - timedelta(minutes=1) <= a.edited_at - a.published <= timedelta(days=10)
        for a in edited
    )
    article = edited[0]
    assert lastmod(article, article.edited_at) == article.edited_at
    assert lastmod(article, article.edited_at - timedelta(minutes=1)) == article.published


def test_short_links_are_base62_of_the_code() -> None:
    assert base62(0) == "0" and base62(61) == "Z" and base62(62) == "10"
    assert all(from_base62(base62(n)) == n for n in (1, 4776124, 999_999_999))
    assert (
        short_link(4776124).startswith("/00") and code_of_token(short_link(4776124)[1:]) == 4776124
    )
    assert code_of_token("00") is None and code_of_token("00-x") is None


def test_rss_has_the_thirty_newest_in_mixed_url_forms() -> None:
    corpus = Corpus(300, seed=7)
    with ReplicaServer(corpus, now=corpus.published(190)) as replica:
        status, headers, body = _fetch(f"{replica.base_url}/fa/rss/allnews")
        assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        items = ET.fromstring(body).findall("channel/item")
        newest = [a for a in corpus.newest(40, offset=109) if not a.withdrawn][:30]
        assert len(newest) == 30 and any(a.withdrawn for a in corpus.newest(30, offset=109))
        assert [_code(item.findtext("link")) for item in items] == [a.news_code for a in newest]
        for item, article in zip(items, newest, strict=True):
            assert item.findtext("title") == article.title
            assert item.findtext("description") == (article.lead or "")
            assert parsedate_to_datetime(item.findtext("pubDate")) == article.published
            assert item.findtext("guid") == f"{replica.base_url}/fa/news/{article.news_code}"
        links = [item.findtext("link").removeprefix(replica.base_url) for item in items]
        assert {a.path for a in newest} & set(links)
        assert {a.encoded_path for a in newest} & set(links)
        assert any(re.fullmatch(r"/fa/news/\d+", link) for link in links)
        assert any(link.endswith("?utm_source=rss") for link in links)
        assert all(
            _fetch(replica.base_url + quote(link, safe="/?=%"))[0] == 200 for link in links[:8]
        )
        assert re.fullmatch(
            r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0[34]30", items[0].findtext("pubDate")
        )


def test_news_sitemap_lists_the_last_two_days() -> None:
    with ReplicaServer(Corpus(2000, seed=5, start=DENSE_START, end=DENSE_END)) as server:
        root = _xml(f"{server.base_url}/fa-sitemap-news")
        cutoff = server.now - timedelta(hours=48)
        expected = [
            a for a in server.corpus.newest(200) if a.published >= cutoff and not a.withdrawn
        ]
        urls = root.findall(f"{SITEMAP}url")
        assert 20 < len(urls) == len(expected)
        for url, article in zip(urls, expected, strict=True):
            assert url.findtext(f"{SITEMAP}loc") == server.base_url + article.encoded_path
            assert datetime.fromisoformat(url.findtext(f"{SITEMAP}lastmod")) == lastmod(
                article, server.now
            )
            published = url.findtext(f"{NEWS}news/{NEWS}publication_date")
            assert datetime.fromisoformat(published) == article.published
    with ReplicaServer(Corpus(300, seed=7)) as sparse:  # one article in ten days: still 20
        assert len(_xml(f"{sparse.base_url}/fa-sitemap-news").findall(f"{SITEMAP}url")) == 20


def test_archive_sitemaps_cover_every_article_once(replica: ReplicaServer) -> None:
    status, headers, body = _fetch(f"{replica.base_url}/fa-sitemap-newsarchive")
    assert status == 200 and headers["Content-Type"] == "application/xml; charset=utf-8"
    index = ET.fromstring(body).findall(f"{SITEMAP}sitemap")
    seen: list[int] = []
    months = []
    for sitemap in index:
        loc = sitemap.findtext(f"{SITEMAP}loc")
        year, month = map(int, re.fullmatch(r".*\?y=(\d+)&m=(\d+)", loc).groups())
        months.append((year, month))
        urls = _xml(loc).findall(f"{SITEMAP}url")
        lastmods = [datetime.fromisoformat(u.findtext(f"{SITEMAP}lastmod")) for u in urls]
        assert datetime.fromisoformat(sitemap.findtext(f"{SITEMAP}lastmod")) == max(lastmods)
        for url, modified in zip(urls, lastmods, strict=True):
            article = replica.corpus.by_code(_code(url.findtext(f"{SITEMAP}loc")))
            assert url.findtext(f"{SITEMAP}loc") == replica.base_url + article.encoded_path
            assert jalali.month_of(article.published) == (year, month)
            edited = article.edited_at is not None and article.edited_at <= replica.now
            assert modified == (article.edited_at if edited else article.published)
            assert (modified > article.published) == edited
            seen.append(article.news_code)
    assert months == sorted(months) and len(set(months)) == len(months)
    assert seen == [row["news_code"] for row in replica.truth_records()]
    assert seen == [a.news_code for a in replica.corpus if not a.withdrawn] != list(replica.corpus)
    assert _fetch(f"{replica.base_url}/fa-sitemap-newsarchive?y=1380&m=1")[0] == 404
    assert _fetch(f"{replica.base_url}/fa-sitemap-newsarchive?y=1403&m=13")[0] == 404


def test_an_edit_shows_in_lastmod_only_once_it_happened() -> None:
    corpus = Corpus(500, seed=5, start=DENSE_START, end=DENSE_END)
    article = next(a for a in corpus if a.edited_at is not None and a.index > 200)
    with ReplicaServer(corpus, now=article.edited_at - timedelta(minutes=1)) as server:
        month = jalali.month_of(article.published)
        loc = f"{server.base_url}/fa-sitemap-newsarchive?y={month[0]}&m={month[1]}"

        def listed_lastmod() -> datetime:
            url = next(
                u
                for u in _xml(loc).findall(f"{SITEMAP}url")
                if _code(u.findtext(f"{SITEMAP}loc")) == article.news_code
            )
            return datetime.fromisoformat(url.findtext(f"{SITEMAP}lastmod"))

        assert listed_lastmod() == article.published
        server.set_clock(article.edited_at)
        assert listed_lastmod() == article.edited_at > article.published
        truth = {row["news_code"]: row for row in server.truth_records()}
        assert truth[article.news_code]["lastmod"] == article.edited_at.isoformat()


def test_publish_makes_exactly_the_next_articles_appear() -> None:
    corpus = Corpus(300, seed=7)
    with ReplicaServer(corpus, now=corpus.published(199)) as server:
        base = server.base_url
        before = json.loads(_fetch(f"{base}/_replica/truth")[2])
        hidden = corpus.article(200)
        for path in (hidden.path, f"/fa/amp/news/{hidden.news_code}", short_link(hidden.news_code)):
            assert _fetch(base + quote(path))[0] == 404
        assert json.loads(_fetch(f"{base}/_replica/truth/{hidden.news_code}")[2]) is None
        appeared = server.publish(25)
        assert [a.index for a in appeared] == list(range(200, 225))
        assert server.now == corpus.published(224) and server.published_count == 225
        after = json.loads(_fetch(f"{base}/_replica/truth")[2])
        live = [a.news_code for a in appeared if not a.withdrawn]
        assert len(live) == 25  # none of these 25 is withdrawn: truth grows by all of them
        assert [row["news_code"] for row in after] == [r["news_code"] for r in before] + live
        items = _xml(f"{base}/fa/rss/allnews").findall("channel/item")
        codes = [_code(item.findtext("link")) for item in items]
        assert codes[: len(live)] == live[::-1]
        older = [a.news_code for a in corpus.newest(30, offset=100) if not a.withdrawn]
        assert codes[len(live) :] == older[: 30 - len(live)]
        assert _fetch(base + hidden.encoded_path)[0] == 200


def test_clock_over_http() -> None:
    corpus = Corpus(300, seed=7)
    with ReplicaServer(corpus) as server:
        clock = f"{server.base_url}/_replica/clock"
        assert json.loads(_fetch(clock)[2]) == {"now": corpus.published(299).isoformat()}
        moment = corpus.published(99)
        answer = json.loads(_fetch(f"{clock}?set={quote(moment.isoformat())}")[2])
        assert datetime.fromisoformat(answer["now"]) == moment and server.published_count == 100
        server_side = json.loads(_fetch(f"{clock}?set={moment.isoformat()}&publish=3")[2])
        assert server_side["published"] == [corpus.news_code(i) for i in (100, 101, 102)]
        assert _fetch(f"{clock}?set=yesterday")[0] == 400
        assert len(list(server.truth_records())) == sum(
            not a.withdrawn for a in corpus.newest(103, offset=197)
        )


def test_truth_between_two_moments(replica: ReplicaServer) -> None:
    since, until = replica.corpus.published(40), replica.corpus.published(80)
    rows = list(replica.truth_records(since, until))
    expected = [a for a in replica.corpus if since <= a.published <= until and not a.withdrawn]
    assert [row["news_code"] for row in rows] == [a.news_code for a in expected]
    assert rows[0]["url"] == replica.base_url + expected[0].path
    query = f"from={quote(since.isoformat())}&to={until.isoformat()}"  # '+' unescaped in "to"
    assert json.loads(_fetch(f"{replica.base_url}/_replica/truth?{query}")[2]) == rows


def test_service_pages_list_their_service_newest_first(replica: ReplicaServer) -> None:
    expected = [
        a.news_code
        for a in reversed(list(replica.corpus))
        if a.service_slug == "politic" and not a.withdrawn
    ]
    listed: list[int] = []
    pages = -(-len(expected) // 30)
    for page in range(1, pages + 1):
        status, _, body = _fetch(f"{replica.base_url}/fa/politic?p={page}")
        assert status == 200
        listed += [code for code, _ in _listed(body.decode())]
        assert f"صفحه {page} از {pages}".translate(FA_DIGITS) in body.decode()
    assert listed == expected
    assert _fetch(f"{replica.base_url}/fa/politic?p={pages + 1}")[0] == 404
    assert _fetch(f"{replica.base_url}/fa/politic?p=0")[0] == 404


def test_allnews_honours_the_clock_and_skips_withdrawn_stories() -> None:
    corpus = Corpus(300, seed=7)
    live = [a.news_code for a in corpus.newest(190, offset=110) if not a.withdrawn]
    assert len(live) == 189  # one withdrawn story among them
    with ReplicaServer(corpus, now=corpus.published(189)) as server:
        listed = []
        for page in range(1, 8):
            listed += _listed(_fetch(f"{server.base_url}/fa/allnews?p={page}")[2].decode())
        assert [code for code, _ in listed] == live
        assert _fetch(f"{server.base_url}/fa/allnews?p=8")[0] == 404


def test_archive_lists_the_jalali_days_asked_for() -> None:
    with _dense() as server:
        base = f"{server.base_url}/fa/archive?service_id=-1&sec_id=-1&cat_id=-1"
        asked = [
            a for a in server.corpus if (1403, 3, 1) <= jalali.day_of(a.published) <= (1403, 3, 12)
        ]
        days = [a for a in asked if not a.withdrawn]
        assert len(days) < len(asked)  # a withdrawn story of those days is left out
        listed: list[tuple[int, str]] = []
        pages = -(-len(days) // 20)
        for page in range(1, pages + 2):
            query = f"&rpp=20&from_date=1403/03/01&to_date=۱۴۰۳/۰۳/۱۲&p={page}"
            status, _, body = _fetch(base + quote(query, safe="&=/"))
            assert status == 200
            assert f"صفحه {page} از {pages}".translate(FA_DIGITS) in body.decode()
            listed += _listed(body.decode())
        assert [code for code, _ in listed] == [a.news_code for a in reversed(days)]
        assert all("1403/03/01" <= stamp[-10:] <= "1403/03/12" for _, stamp in listed)
        opened = _listed(_fetch(f"{base}&rpp=500&from_date=1403/03/05")[2].decode())
        assert len(opened) == 200 and opened[0][0] == server.corpus.newest(1)[0].news_code
        assert all(stamp[-10:] >= "1403/03/05" for _, stamp in opened)
        assert len(_listed(_fetch(f"{base}&to_date=1403/02/31")[2].decode())) == 100


def test_robots_txt_with_and_without_the_archive_rule(replica: ReplicaServer) -> None:
    status, headers, body = _fetch(f"{replica.base_url}/robots.txt")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "User-agent: *" in text and "Disallow: /fa/archive\n" in text
    assert f"Sitemap: {replica.base_url}/fa-sitemap-newsarchive\n" in text
    assert f"Sitemap: {replica.base_url}/fa-sitemap-news\n" in text
    with ReplicaServer(Corpus(10), archive_allowed=True) as open_archive:
        text = _fetch(f"{open_archive.base_url}/robots.txt")[2].decode()
    assert "Disallow: /fa/archive" not in text and "Disallow: /fa/print\n" in text
    assert build_parser().parse_args(["--allow-archive"]).allow_archive is True


def test_every_url_form_serves_the_article(replica: ReplicaServer) -> None:
    article = next(a for a in replica.corpus if not a.withdrawn and a.theme == "current")
    code = article.news_code
    forms = (
        f"/fa/news/{code}",
        f"/fa/news/{code}/",
        article.encoded_path,
        quote(article.path, safe="/") + "?utm_source=telegram&utm_medium=social",
        f"/fa/news/{code}/any-other-slug",
        f"/fa/amp/news/{code}",
        f"/fa/print/{code}",
    )
    page = article_page(article).encode()
    for form in forms:
        assert _fetch(replica.base_url + form)[::2] == (200, page), form
    status, headers, _ = _fetch(replica.base_url + short_link(code))
    assert status == 301 and headers["Location"] == article.encoded_path
    assert _fetch(f"{replica.base_url}/00zzzzzzzz")[0] == 404


def test_article_fetches_count_article_forms_only() -> None:
    corpus = Corpus(50, seed=3)
    first, second = corpus.article(10), corpus.article(20)
    with ReplicaServer(corpus) as server:
        for path in (
            first.encoded_path,
            f"/fa/amp/news/{first.news_code}?utm_source=x",
            f"/fa/print/{first.news_code}",
            short_link(second.news_code),
            "/fa/allnews?p=1",
            "/fa/news/999",
        ):
            _fetch(server.base_url + path)
        assert server.article_fetches() == Counter({first.news_code: 3, 999: 1})
        urlopen(server.base_url + short_link(second.news_code), timeout=10).close()
        assert server.article_fetches()[second.news_code] == 1


def test_discovery_routes_stay_small_on_a_hundred_thousand_articles() -> None:
    corpus = Corpus(100_000, seed=1)
    server = ReplicaServer(corpus)
    try:
        tracemalloc.start()
        for target in (
            "/fa/rss/allnews",
            "/fa-sitemap-news",
            "/fa-sitemap-newsarchive?y=1403&m=3",
            "/fa/allnews?p=3000",
            "/fa/archive?rpp=200&from_date=1398/01/01&to_date=1398/12/29&p=7",
            short_link(corpus.news_code(5)),
        ):
            assert server.answer(target).status in (200, 301), target
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.httpd.server_close()
    assert peak < 4_000_000


def _record(page: str, article: ReplicaArticle) -> dict[str, object]:
    base = "https://www.mizanonline.ir"
    url = f"{base}/fa/news/{article.news_code}"
    parsed = parse_article(Selector(text=page), url=url, base_url=base, crawled_at="t")
    return {**asdict(parsed.article), "problems": parsed.problems}


def test_live_weight_pages_parse_to_the_same_record_as_light_ones() -> None:
    """300 articles of both themes and every kind: the chrome's decoys (``title`` classes in
    lists, dates in "most read" items, links to other articles) never reach a record."""
    corpus = Corpus(3000, seed=3)
    chrome = Chrome(corpus)
    articles = [corpus.article(index) for index in range(0, 3000, 10)]
    assert {a.theme for a in articles} == {"old", "current"}
    assert {a.kind for a in articles} == {"news", "photo", "video"}
    for article in articles:
        light, live = article_page(article), article_page(article, chrome=chrome)
        assert _record(live, article) == _record(light, article), article.index
        assert _record(live, article)["title"] == article.title


def test_live_weight_pages_carry_the_site_chrome() -> None:
    corpus = Corpus(1000, seed=1)
    chrome = Chrome(corpus)
    pages = [article_page(corpus.article(index), chrome=chrome) for index in range(0, 1000, 50)]
    sizes = [len(page.encode()) for page in pages]
    assert all(170 * 1024 < size < 200 * 1024 for size in sizes)
    light = len(article_page(corpus.article(500)).encode())
    assert light < 8 * 1024
    tree = Selector(text=pages[10])
    assert len(tree.css(".mega_menu a")) > 500
    assert len(tree.css(".most_read_list li")) == 10
    assert len(tree.css("div.title a")) > 50  # decoy headlines in the lists
    others = {news_code_from_url(href) for href in tree.css(".col_side a::attr(href)").getall()}
    others.discard(None)
    assert len(others) > 30 and all(corpus.by_code(code) for code in others)
    assert corpus.article(500).news_code not in others
    # Deterministic: a fresh chrome gives the same pages.
    assert article_page(corpus.article(500), chrome=Chrome(corpus)) == pages[10]


def test_server_serves_live_weight_pages_when_asked() -> None:
    corpus = Corpus(200, seed=1)
    article = corpus.article(150)
    with ReplicaServer(corpus, weight="live") as server:
        status, page = _get(server.base_url + article.encoded_path)
    assert status == 200 and page == article_page(article, chrome=Chrome(corpus))
    with pytest.raises(ValueError, match="weight"):
        ReplicaServer(corpus, weight="heavy")
    assert build_parser().parse_args(["--weight", "live"]).weight == "live"
    assert build_parser().parse_args([]).weight == "light"


def test_image_folders_are_named_by_the_jalali_date() -> None:
    for article in Corpus(400, seed=2):
        local = jdatetime.date.fromgregorian(date=article.published.date())
        folder = f"/files/fa/news/{local.year}/{local.month:02d}/{local.day:02d}/"
        assert all(image.startswith(folder) for image in article.images)
        assert all(f"/{article.published:%Y}/" not in image for image in article.images)
