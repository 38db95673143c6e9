"""Saved pages against their hand-written expected records, field by field.

Each folder under ``fixtures/pages`` holds ``page.html``, ``case.json`` (the URL it came from) and
``expected.json``: the record, or ``{"not_an_article": reason}``. Fields an expected record leaves
out are free; a URL ending in ``/<slug>`` is compared apart from the slug; ``problems`` lists the
problem kinds the parser must report (none when absent).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector

from mizan_crawler.pages.article import NotAnArticle, parse_article

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
