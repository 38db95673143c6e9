"""Saved pages against their hand-written expected records, field by field.

Each folder under ``fixtures/pages`` holds ``page.html``, ``case.json`` (the URL it came from) and
``expected.json``: the record, or ``{"not_an_article": reason}``. Fields an expected record leaves
out are free; a URL ending in ``/<slug>`` is compared apart from the slug; ``problems`` lists the
problem kinds the parser must report (none when absent).
"""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from mizan_crawler.pages.article import NotAnArticle, parse_article
from mizan_crawler.pages.tree import page_selector

CASES = sorted(path for path in (Path(__file__).parent / "fixtures" / "pages").iterdir())
SLUG_PLACEHOLDER = "/<slug>"


def _load(case: Path, name: str) -> Any:
    return json.loads((case / name).read_text("utf-8"))


def _parse(case: Path) -> Any:
    meta = _load(case, "case.json")
    return parse_article(
        Selector(text=(case / "page.html").read_text("utf-8")),
        url=meta["url"],
        base_url=meta["base_url"],
        crawled_at="2026-01-01T00:00:00+00:00",
        status=meta.get("status", 200),
    )


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_fixture(case: Path) -> None:
    expected = _load(case, "expected.json")
    if "not_an_article" in expected:
        with pytest.raises(NotAnArticle) as caught:
            _parse(case)
        assert caught.value.reason == expected["not_an_article"]
        return
    page = _parse(case)
    got = asdict(page.article)
    assert sorted(kind for kind, _ in page.problems) == sorted(expected.pop("problems", []))
    url = expected.pop("url")
    if url.endswith(SLUG_PLACEHOLDER):
        assert got["url"].startswith(url.removesuffix("<slug>"))
        assert len(got["url"]) > len(url.removesuffix("<slug>"))
    else:
        assert got["url"] == url
    for name, value in expected.items():
        assert got[name] == value, name


def test_reference_article_round_trips_exactly() -> None:
    case = next(case for case in CASES if case.name.startswith("reference_"))
    got = asdict(_parse(case).article)
    expected = _load(case, "expected.json")
    for name in expected.keys() - {"url"}:
        assert got[name] == expected[name], name
    assert "\u200c" in got["body"]
    assert got["published_at_raw"] == "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰"


def _outcome(sel: Selector, case: Path, url: str) -> Any:
    meta = _load(case, "case.json")
    try:
        page = parse_article(
            sel, url=url, base_url=meta["base_url"], crawled_at="2026-01-01T00:00:00+00:00",
            status=meta.get("status", 200),
        )  # fmt: skip
    except NotAnArticle as exc:
        return exc.reason
    return asdict(page.article), page.problems


# What a server may send that a saved page does not show: the parser reads a UTF-8 page's tree
# from its bytes, a crawl's other pages from their decoded text, and both must give one record.
BYTE_VARIANTS: dict[str, Any] = {
    "as saved": lambda body: body,
    "byte order mark": lambda body: codecs.BOM_UTF8 + body,
    "NUL bytes": lambda body: body.replace(b"<p", b"\x00<p\x00", 2),
    "invalid UTF-8": lambda body: body.replace(b"<p", b"\xff\xfe<p", 1).replace(
        b"</h1", b"\xd8</h1"
    ),
    "CRLF and padding": lambda body: b" \r\n\t" + body.replace(b"\n", b"\r\n") + b"\r\n ",
}


@pytest.mark.parametrize("variant", BYTE_VARIANTS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_page_read_from_its_bytes_gives_the_record_its_text_gives(
    case: Path, variant: str
) -> None:
    url = _load(case, "case.json")["url"]
    body = BYTE_VARIANTS[variant]((case / "page.html").read_bytes())
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert response.encoding == "utf-8"
    from_bytes = _outcome(page_selector(response), case, url)
    assert from_bytes == _outcome(Selector(text=response.text, type="html"), case, url)
