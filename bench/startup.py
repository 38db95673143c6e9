"""Start-up: a scheduled `news` run with nothing to fetch, against `scrapy crawl` of an empty
spider in a bare Scrapy project (its own folder and settings, none of ours).

    python bench/startup.py [--rounds 5] [--json PATH]

The `news` run uses the project's settings and a SQLite store (made by one warm-up run, as a
scheduled run finds it), against a replica in its own process, with `-a since` after the
replica's newest article: it reads robots.txt, the feed, the news sitemap and the first listing
page, finds nothing new and stops; without the production delay between requests (politeness,
not start-up). Both are timed from process start to exit, best of the
rounds, the two taking turns. Target: the `news` run within 0.3 s of the bare one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import machine, replica_process, timed, write_figures

from mizan_crawler.replica import Corpus

ARTICLES = 50
LOG = ["-s", "LOG_LEVEL=INFO"]
# The production delay between requests (2 s, AutoThrottle on) is politeness, not start-up.
NO_DELAY = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
BARE_SETTINGS = 'BOT_NAME = "bare"\nSPIDER_MODULES = ["bare.spiders"]\n'
EMPTY_SPIDER = """import scrapy


class EmptySpider(scrapy.Spider):
    name = "empty"

    async def start(self):
        return
        yield
"""


def bare_project(folder: Path) -> Path:
    """A project as `scrapy startproject` would lay it out, with one spider that asks nothing."""
    (folder / "bare" / "spiders").mkdir(parents=True)
    (folder / "scrapy.cfg").write_text("[settings]\ndefault = bare.settings\n")
    (folder / "bare" / "__init__.py").write_text("")
    (folder / "bare" / "settings.py").write_text(BARE_SETTINGS)
    (folder / "bare" / "spiders" / "__init__.py").write_text("")
    (folder / "bare" / "spiders" / "empty.py").write_text(EMPTY_SPIDER)
    return folder


def measure(rounds: int = 5) -> dict[str, Any]:
    """Wall seconds of each run, the two taking turns after one warm-up run of each."""
    for key in ("SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"):  # nothing may point at our settings
        os.environ.pop(key, None)
    corpus = Corpus(ARTICLES, seed=1)
    since = (corpus.published(ARTICLES - 1) + timedelta(days=1)).strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory() as tmp, replica_process(ARTICLES) as base:
        folder = Path(tmp)
        project = bare_project(folder / "bare_project")
        work = folder / "news"
        work.mkdir()
        bare_command = [sys.executable, "-m", "scrapy", "crawl", "empty", *LOG]
        news_command = [sys.executable, "-m", "mizan_crawler", "crawl", "news",
                        "-a", f"since={since}", *LOG, *NO_DELAY]  # fmt: skip
        env = {"MIZAN_BASE_URL": base, "DATABASE_URL": f"sqlite:///{work / 'news.sqlite'}",
               "MIZAN_STATS_FILE": str(work / "stats.json")}  # fmt: skip
        bare_times, news_times = [], []
        for round_number in range(rounds + 1):
            bare = timed(bare_command, {}, str(project))
            news = timed(news_command, env, str(work))
            if round_number:  # the first round warms the disk cache and makes the store
                bare_times.append(bare)
                news_times.append(news)
    bare_best, news_best = min(bare_times), min(news_times)
    return {
        "rounds": rounds,
        "bare_seconds": bare_best,
        "news_seconds": news_best,
        "bare_median": statistics.median(bare_times),
        "news_median": statistics.median(news_times),
        "difference": news_best - bare_best,
        "ratio": news_best / bare_best,
    }


def summary(figures: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"bench/startup.py: best of {figures['rounds']} rounds ({machine()})",
            f"  bare `scrapy crawl` of an empty spider : {figures['bare_seconds']:6.2f} s (median {figures['bare_median']:.2f})",
            f"  `news` run with nothing to fetch      : {figures['news_seconds']:6.2f} s (median {figures['news_median']:.2f})",
            f"  difference                            : {figures['difference']:+6.2f} s (target <= 0.30 s)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.rounds)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
