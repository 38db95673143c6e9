"""The replica site: deterministic corpus, URL forms, ground truth, realistic noise."""

from __future__ import annotations

import json
import tracemalloc
from itertools import pairwise
from urllib.parse import quote
from urllib.request import urlopen

import pytest

from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.replica.__main__ import main as replica_main
from mizan_crawler.replica.render import FA_DIGITS, article_page


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
