"""The replica's browser-only answers: challenge pages with their cookie, script-built bodies."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.request import Request, urlopen

import pytest
from parsel import Selector

from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.replica.__main__ import build_parser
from mizan_crawler.replica.challenge import COOKIE_NAME, BrowserGate, cookie_value, drawn
from mizan_crawler.replica.render import article_page

CORPUS = Corpus(300, seed=7)


def _get(url: str, cookie: str = "") -> tuple[int, str]:
    request = Request(url, headers={"Cookie": cookie} if cookie else {})
    with urlopen(request, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


@pytest.fixture(scope="module")
def mixed() -> Iterator[ReplicaServer]:
    """A third of articles challenged, a third with script-built bodies."""
    with ReplicaServer(CORPUS, challenge_share=0.3, script_body_share=0.3) as server:
        yield server


def _live(server: ReplicaServer) -> list[int]:
    return [article.news_code for article in server.corpus if not article.withdrawn]


def test_shares_are_deterministic_and_about_right() -> None:
    codes = [article.news_code for article in CORPUS]
    picked = [code for code in codes if drawn(7, code, "challenge", 0.3)]
    assert picked == [code for code in codes if drawn(7, code, "challenge", 0.3)]
    assert 0.2 < len(picked) / len(codes) < 0.4
    assert not any(drawn(7, code, "challenge", 0.0) for code in codes)
    assert all(drawn(7, code, "challenge", 1.0) for code in codes)
    scripted = {code for code in codes if drawn(7, code, "script_body", 0.3)}
    assert scripted != set(picked)  # two independent draws


def test_challenged_articles_answer_a_small_arvancloud_page(mixed: ReplicaServer) -> None:
    challenged = [code for code in _live(mixed) if mixed.gate.challenges(code, "")]
    assert challenged
    status, page = _get(f"{mixed.base_url}/fa/news/{challenged[0]}")
    assert status == 200
    assert len(page.encode()) < 5_000
    assert "ArvanCloud" in page
    assert f'document.cookie = "{COOKIE_NAME}={mixed.gate.token}; path=/"' in page
    assert "location.reload()" in page
    assert mixed.challenges_served[challenged[0]] >= 1


def test_the_cookie_passes_any_challenged_article(mixed: ReplicaServer) -> None:
    cookie = f"other=1; {COOKIE_NAME}={mixed.gate.token}"
    for code in [code for code in _live(mixed) if mixed.gate.challenges(code, "")][:5]:
        status, page = _get(f"{mixed.base_url}/fa/news/{code}/any-slug?x=1", cookie)
        assert status == 200
        assert "ArvanCloud" not in page
        assert f"{code}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in page
    _, page = _get(f"{mixed.base_url}/fa/print/{code}", f"{COOKIE_NAME}=wrong")
    assert "ArvanCloud" in page


def test_only_article_urls_are_challenged() -> None:
    with ReplicaServer(CORPUS, challenge_share=1.0) as server:
        for path in ("/fa/allnews?p=1", "/robots.txt", "/fa-sitemap-news", "/fa/rss/allnews"):
            assert "ArvanCloud" not in _get(server.base_url + path)[1]
        assert "ArvanCloud" in _get(server.base_url + CORPUS.article(3).encoded_path)[1]


def test_script_bodies_are_empty_until_the_script_runs(mixed: ReplicaServer) -> None:
    code = next(
        a.news_code
        for a in mixed.corpus
        if mixed.gate.script_body(a.news_code)
        and not mixed.gate.challenges(a.news_code, "")
        and a.kind == "news"
        and not a.withdrawn
    )
    _, page = _get(f"{mixed.base_url}/fa/news/{code}")
    selector = Selector(text=page)
    body = selector.css(".main_news_body .body, .news_body .body")[0]
    assert body.xpath("string()").get() == ""
    script = body.xpath("following-sibling::script[1]/text()").get()
    assert script.startswith("document.currentScript.previousElementSibling.innerHTML = ")
    assert "</" not in script  # the body's markup cannot close the script early


def test_shares_of_zero_change_nothing() -> None:
    with ReplicaServer(CORPUS) as server:
        for article in list(CORPUS)[:40]:
            if article.withdrawn:
                continue
            assert _get(server.base_url + article.encoded_path)[1] == article_page(article)
        assert server.challenges_served == {}


def test_cookie_value() -> None:
    assert cookie_value("a=1; __arcsjs=tok; b=2", "__arcsjs") == "tok"
    assert cookie_value("a=1", "__arcsjs") is None
    assert cookie_value("", "__arcsjs") is None


def test_shares_must_be_between_zero_and_one() -> None:
    with pytest.raises(ValueError, match="challenge_share"):
        BrowserGate(1, challenge_share=1.5)
    with pytest.raises(ValueError, match="script_body_share"):
        BrowserGate(1, script_body_share=-0.1)


def test_command_line_flags() -> None:
    args = build_parser().parse_args(["--challenge-share", "0.25", "--script-body-share", "0.5"])
    assert (args.challenge_share, args.script_body_share) == (0.25, 0.5)
    defaults = build_parser().parse_args([])
    assert (defaults.challenge_share, defaults.script_body_share) == (0.0, 0.0)
