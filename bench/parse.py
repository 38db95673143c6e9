"""Extraction speed: the project's full article parsing vs ``trafilatura.extract`` and vs the
floor of any lxml-based extractor (building the tree), same pages, at both page weights.

    python bench/parse.py [--pages 400] [--rounds 3] [--seed 1] [--json PATH]

Pages come from the replica's corpus, rendered in-process (both themes, all kinds), at the live
site's weight (its chrome, about 185 KB a page) and light (the templates alone, about 4 KB). All
start from the HTML text, so all pay for building the DOM; the floor is ``lxml.html.fromstring``
on the same text. Prints articles per second for each, best of the rounds (one of each in turn),
and the ratios (target: at least 4x trafilatura's rate, on light pages as first set; on the
live site's pages trafilatura takes about 0.1 s a page, which makes that ratio far larger).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import lxml.html
import trafilatura
from _common import machine, write_figures
from parsel import Selector

from mizan_crawler.pages.article import parse_article
from mizan_crawler.replica import Corpus
from mizan_crawler.replica.chrome import WEIGHTS, Chrome
from mizan_crawler.replica.render import article_page

BASE = "https://www.mizanonline.ir"


def ours(page: tuple[int, str]) -> object:
    code, html = page
    return parse_article(
        Selector(text=html), url=f"{BASE}/fa/news/{code}", base_url=BASE, crawled_at="bench"
    ).article


def theirs(page: tuple[int, str]) -> object:
    return trafilatura.extract(page[1], output_format="json", with_metadata=True)


def floor(page: tuple[int, str]) -> object:
    return lxml.html.fromstring(page[1])


Extract = Callable[[tuple[int, str]], object]


def seconds(extract: Extract, pages: list[tuple[int, str]]) -> float:
    started = time.perf_counter()
    for page in pages:
        extract(page)
    return time.perf_counter() - started


EXTRACTORS: dict[str, Extract] = {"floor": floor, "ours": ours, "theirs": theirs}


def rates(pages: list[tuple[int, str]], rounds: int) -> dict[str, float]:
    """Best articles per second of each extractor; rounds interleaved, so a change in the
    machine's load between rounds hits all alike."""
    best = dict.fromkeys(EXTRACTORS, float("inf"))
    for _ in range(rounds):
        for name, extract in EXTRACTORS.items():
            best[name] = min(best[name], seconds(extract, pages))
    return {name: len(pages) / took for name, took in best.items()}


def pages_of(corpus: Corpus, weight: str) -> list[tuple[int, str]]:
    chrome = Chrome(corpus) if weight == "live" else None
    return [(article.news_code, article_page(article, chrome=chrome)) for article in corpus]


def weight_figures(corpus: Corpus, weight: str, rounds: int) -> dict[str, Any]:
    texts = pages_of(corpus, weight)
    found = rates(texts, rounds)
    ours_rate, theirs_rate, floor_rate = found["ours"], found["theirs"], found["floor"]
    return {
        "kib_per_page": sum(len(text.encode()) for _, text in texts) / len(texts) / 1024,
        "ours_rate": ours_rate,
        "theirs_rate": theirs_rate,
        "floor_rate": floor_rate,
        "ratio": ours_rate / theirs_rate,
        "of_floor": ours_rate / floor_rate,
        "ours_ms": 1000 / ours_rate,
        "floor_ms": 1000 / floor_rate,
    }


def measure(pages: int = 400, rounds: int = 3, seed: int = 1) -> dict[str, Any]:
    """Articles per second for each extractor on the same ``pages`` replica pages, at each
    weight; the live site's weight first (the target's)."""
    corpus = Corpus(pages, seed=seed)
    weights = {weight: weight_figures(corpus, weight, rounds) for weight in reversed(WEIGHTS)}
    return {
        "pages": pages,
        "rounds": rounds,
        "weights": weights,
        "ratio": weights["light"]["ratio"],
        "trafilatura_version": version("trafilatura"),
    }


def summary(figures: dict[str, Any]) -> str:
    lines = [
        f"bench/parse.py: {figures['pages']} replica pages, best of {figures['rounds']} rounds ({machine()})"
    ]
    for weight, found in figures["weights"].items():
        lines += [
            f"  {weight} pages ({found['kib_per_page']:.1f} KiB a page):",
            f"    lxml.html.fromstring (floor) : {found['floor_rate']:8.1f} articles/s  {found['floor_ms']:6.2f} ms",
            f"    mizan-crawler parse_article  : {found['ours_rate']:8.1f} articles/s  {found['ours_ms']:6.2f} ms ({found['of_floor']:.2f} of the floor's rate)",
            f"    trafilatura.extract          : {found['theirs_rate']:8.1f} articles/s",
            f"    ratio to trafilatura         : {found['ratio']:8.2f}x",
        ]
    lines.append(f"  target: >= 4x trafilatura on light pages: {figures['ratio']:.2f}x")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.pages, args.rounds, args.seed)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
