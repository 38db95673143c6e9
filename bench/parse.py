"""Extraction speed: the project's full article parsing vs ``trafilatura.extract``, same pages.

    python bench/parse.py [--pages 400] [--rounds 3] [--seed 1] [--json PATH]

Pages come from the replica's corpus, rendered in-process (both themes, all kinds). Both sides
start from the HTML text, so both pay for building the DOM. Prints articles per second for each,
best of the rounds (one of each in turn), and their ratio (target: at least 4x).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import trafilatura
from _common import machine, write_figures
from parsel import Selector

from mizan_crawler.pages.article import parse_article
from mizan_crawler.replica import Corpus
from mizan_crawler.replica.render import article_page

BASE = "https://www.mizanonline.ir"


def ours(page: tuple[int, str]) -> object:
    code, html = page
    return parse_article(
        Selector(text=html), url=f"{BASE}/fa/news/{code}", base_url=BASE, crawled_at="bench"
    ).article


def theirs(page: tuple[int, str]) -> object:
    return trafilatura.extract(page[1], output_format="json", with_metadata=True)


Extract = Callable[[tuple[int, str]], object]


def seconds(extract: Extract, pages: list[tuple[int, str]]) -> float:
    started = time.perf_counter()
    for page in pages:
        extract(page)
    return time.perf_counter() - started


def rates(pages: list[tuple[int, str]], rounds: int) -> tuple[float, float]:
    """Best articles per second of ours and theirs; rounds interleaved, so a change in the
    machine's load between rounds hits both alike."""
    ours_best = theirs_best = float("inf")
    for _ in range(rounds):
        ours_best = min(ours_best, seconds(ours, pages))
        theirs_best = min(theirs_best, seconds(theirs, pages))
    return len(pages) / ours_best, len(pages) / theirs_best


def measure(pages: int = 400, rounds: int = 3, seed: int = 1) -> dict[str, Any]:
    """Articles per second for both extractors on the same ``pages`` replica pages."""
    corpus = Corpus(pages, seed=seed)
    texts = [(article.news_code, article_page(article)) for article in corpus]
    ours_rate, theirs_rate = rates(texts, rounds)
    return {
        "pages": len(texts),
        "rounds": rounds,
        "ours_rate": ours_rate,
        "theirs_rate": theirs_rate,
        "ratio": ours_rate / theirs_rate,
        "trafilatura_version": version("trafilatura"),
    }


def summary(figures: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"bench/parse.py: {figures['pages']} replica pages, best of {figures['rounds']} rounds ({machine()})",
            f"  mizan-crawler parse_article : {figures['ours_rate']:8.1f} articles/s",
            f"  trafilatura.extract         : {figures['theirs_rate']:8.1f} articles/s",
            f"  ratio                       : {figures['ratio']:8.2f}x (target >= 4x)",
        ]
    )


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
