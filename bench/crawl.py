"""Crawl speed, memory and requests per article: a full-speed backfill of the replica with the
project's spider and store, next to a bare Scrapy spider fetching the same article URLs.

    python bench/crawl.py [--articles 5000] [--rounds 1] [--json PATH]

Targets: at least 70% of the bare rate; requests per stored article at most 1.05 plus the
sitemap (discovery) pages.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from _common import crawler_request, machine, project_crawl, replica_process, timed, write_figures

from mizan_crawler.pages.article import news_code_from_url
from mizan_crawler.replica import Corpus

FULL_SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "AUTOTHROTTLE_ENABLED=False",
              "-s", "LOG_LEVEL=WARNING", "-s", "MEMUSAGE_ENABLED=True"]  # fmt: skip


def request_log(base: str) -> list[str]:
    """The paths crawlers asked the replica for, in order."""
    with urlopen(f"{base}/_replica/requests", timeout=60) as response:
        paths = [str(row["path"]) for row in json.loads(response.read())]
    return [path for path in paths if crawler_request(path)]


def bare_run(base: str, urls: list[str], folder: Path) -> tuple[float, dict[str, object]]:
    url_file, stats_file = folder / "urls.txt", folder / "bare-stats.json"
    url_file.write_text("\n".join(urls))
    spider = Path(__file__).with_name("_bare_spider.py")
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"url_file={url_file}",
               "-a", f"stats_file={stats_file}", "-s", "ROBOTSTXT_OBEY=False", *FULL_SPEED]  # fmt: skip
    seconds = timed(command, {}, str(folder))
    return seconds, json.loads(stats_file.read_text())


def crawl_round(articles: int) -> dict[str, Any]:
    """A backfill of a fresh replica, then the bare spider on the article URLs it requested."""
    corpus = Corpus(articles, seed=1)
    first_day, last_day = f"{corpus.start:%Y-%m-%d}", f"{corpus.end:%Y-%m-%d}"
    with tempfile.TemporaryDirectory() as tmp, replica_process(articles) as base:
        folder = Path(tmp)
        project_seconds, project_stats = project_crawl(
            base, folder, "backfill", "-a", f"from={first_day}", "-a", f"to={last_day}", *FULL_SPEED
        )
        log = request_log(base)
        article_paths = [path for path in log if news_code_from_url(path) is not None]
        urls = [f"{base}{path}" for path in article_paths]
        bare_seconds, bare_stats = bare_run(base, urls, folder)
    stored = int(project_stats.get("mizan/store/new", 0))
    project = {"stored": stored, "seconds": project_seconds, "rate": stored / project_seconds,
               "peak_mib": int(project_stats["memusage/max"]) / 2**20}  # fmt: skip
    bare = {"urls": len(urls), "seconds": bare_seconds, "rate": len(urls) / bare_seconds,
            "peak_mib": int(bare_stats["memusage/max"]) / 2**20}  # fmt: skip
    discovery = len(log) - len(article_paths)
    return {"bare": bare, "project": project, "article_requests": len(article_paths),
            "discovery_requests": discovery}  # fmt: skip


def measure(articles: int = 5000, rounds: int = 1) -> dict[str, Any]:
    """Each crawler's best round; the rounds take turns, so drift in load hits both alike."""
    runs = [crawl_round(articles) for _ in range(rounds)]
    bare = max((run["bare"] for run in runs), key=lambda run: run["rate"])
    project = max((run["project"] for run in runs), key=lambda run: run["rate"])
    return {
        "articles": articles,
        "rounds": rounds,
        "bare": bare,
        "project": project,
        "ratio": project["rate"] / bare["rate"],
        "article_requests": runs[0]["article_requests"],
        "discovery_requests": runs[0]["discovery_requests"],
    }


def summary(figures: dict[str, Any]) -> str:
    bare, project = figures["bare"], figures["project"]
    stored, discovery = max(project["stored"], 1), figures["discovery_requests"]
    return "\n".join(
        [
            f"bench/crawl.py: backfill of a {figures['articles']}-article replica, best of {figures['rounds']} rounds ({machine()}; 16 concurrent requests, no delay, same settings for both)",
            f"  bare Scrapy spider, same {bare['urls']} article URLs : {bare['rate']:7.1f} articles/s  {bare['seconds']:6.1f} s  peak {bare['peak_mib']:5.0f} MiB",
            f"  mizan-crawler backfill, SQLite store        : {project['rate']:7.1f} articles/s  {project['seconds']:6.1f} s  peak {project['peak_mib']:5.0f} MiB",
            f"  ratio                                       : {figures['ratio']:7.2f} (target >= 0.70)",
            f"  requests: {figures['article_requests']} article pages + {discovery} discovery pages for {project['stored']} stored articles "
            f"= {figures['article_requests'] / stored:.3f} article requests per stored article (target <= 1.05) "
            f"+ {discovery / stored:.3f} discovery",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1, help="rounds of both crawls, best kept")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.articles, args.rounds)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
