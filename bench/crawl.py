"""Crawl speed, memory and requests per article: a full-speed backfill of the replica with the
project's spider and store, next to a bare Scrapy spider fetching the same article URLs.

    python bench/crawl.py [--articles 5000] [--rounds 1] [--weight live|light] [--json PATH]

The replica serves its pages at the live site's weight (about 185 KB a page, ``--weight live``,
the default) or light (about 4 KB). Targets: at least 0.8 of the bare rate on pages of the live
site's weight; requests per stored article at most 1.05 plus the sitemap (discovery) pages.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from _common import (
    CPU_STAT,
    REPLICA_CPU_STAT,
    bare_run,
    machine,
    project_crawl,
    replica_process,
    request_log,
    write_figures,
)

from mizan_crawler.archive.reparse import default_workers
from mizan_crawler.pages.article import news_code_from_url
from mizan_crawler.replica import Corpus
from mizan_crawler.replica.chrome import WEIGHTS

# Scrapy's memusage/max is the process's peak resident set (ru_maxrss) as of its last check,
# every 60 s by default: a crawl shorter than that would report its start-up size.
FULL_SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "AUTOTHROTTLE_ENABLED=False",
              "-s", "LOG_LEVEL=WARNING", "-s", "MEMUSAGE_ENABLED=True", "-s", "MEMUSAGE_CHECK_INTERVAL_SECONDS=0.5"]  # fmt: skip


def crawl_round(articles: int, weight: str) -> dict[str, Any]:
    """A backfill of a fresh replica, then the bare spider on the article URLs it requested."""
    corpus = Corpus(articles, seed=1)
    first_day, last_day = f"{corpus.start:%Y-%m-%d}", f"{corpus.end:%Y-%m-%d}"
    replica = replica_process(articles, 1, "--weight", weight)
    with tempfile.TemporaryDirectory() as tmp, replica as base:
        folder = Path(tmp)
        project_seconds, project_stats = project_crawl(
            base, folder, "backfill", "-a", f"from={first_day}", "-a", f"to={last_day}", *FULL_SPEED
        )
        log = request_log(base)
        article_paths = [path for path in log if news_code_from_url(path) is not None]
        urls = [f"{base}{path}" for path in article_paths]
        bare_seconds, bare_stats = bare_run(base, urls, folder, FULL_SPEED)
    stored = int(project_stats.get("mizan/store/new", 0))
    project = {"stored": stored, "seconds": project_seconds, "rate": stored / project_seconds,
               "peak_mib": int(project_stats["memusage/max"]) / 2**20,
               "archive_bytes": int(project_stats.get("mizan/archive/bytes", 0)),
               **cpu_per_page(project_stats, stored)}  # fmt: skip
    bare = {"urls": len(urls), "seconds": bare_seconds, "rate": len(urls) / bare_seconds,
            "peak_mib": int(bare_stats["memusage/max"]) / 2**20,
            **cpu_per_page(bare_stats, len(urls))}  # fmt: skip
    discovery = len(log) - len(article_paths)
    return {"bare": bare, "project": project, "article_requests": len(article_paths),
            "discovery_requests": discovery}  # fmt: skip


def cpu_per_page(stats: dict[str, Any], pages: int) -> dict[str, float]:
    """The crawl process's and the replica's CPU milliseconds per article, start-up included."""
    return {
        "cpu_ms": 1000 * float(stats[CPU_STAT]) / max(pages, 1),
        "replica_cpu_ms": 1000 * float(stats[REPLICA_CPU_STAT]) / max(pages, 1),
    }


def cpu_bounds(bare: dict[str, Any], project: dict[str, Any], cores: int) -> dict[str, float]:
    """The best ratios the backfill's CPU per article allows, against the bare spider's wall
    time per article: on one thread (its work never overlapping), and spread perfectly over
    every core, with the replica's CPU on them too."""
    bare_ms = 1000 / bare["rate"]
    return {
        "bare_ms": bare_ms,
        "one_thread": bare_ms / project["cpu_ms"],
        "all_cores": bare_ms * cores / (project["cpu_ms"] + project["replica_cpu_ms"]),
        "cores": cores,
    }


def measure(articles: int = 5000, rounds: int = 1, weight: str = "live") -> dict[str, Any]:
    """Each crawler's best round; the rounds take turns, so drift in load hits both alike."""
    runs = [crawl_round(articles, weight) for _ in range(rounds)]
    bare = max((run["bare"] for run in runs), key=lambda run: run["rate"])
    project = max((run["project"] for run in runs), key=lambda run: run["rate"])
    cores = default_workers()  # the cores this process may use
    return {
        "cpu": cpu_bounds(bare, project, cores),
        "articles": articles,
        "rounds": rounds,
        "weight": weight,
        "bare": bare,
        "project": project,
        "ratio": project["rate"] / bare["rate"],
        "article_requests": runs[0]["article_requests"],
        "discovery_requests": runs[0]["discovery_requests"],
    }


def summary(figures: dict[str, Any]) -> str:
    bare, project, cpu = figures["bare"], figures["project"], figures["cpu"]
    stored, discovery = max(project["stored"], 1), figures["discovery_requests"]
    return "\n".join(
        [
            f"bench/crawl.py: backfill of a {figures['articles']}-article replica ({figures['weight']} pages), best of {figures['rounds']} rounds ({machine()}; 16 concurrent requests, no delay, same settings for both)",
            f"  bare Scrapy spider, same {bare['urls']} article URLs : {bare['rate']:7.1f} articles/s  {bare['seconds']:6.1f} s  peak {bare['peak_mib']:5.0f} MiB",
            f"  mizan-crawler backfill, SQLite store        : {project['rate']:7.1f} articles/s  {project['seconds']:6.1f} s  peak {project['peak_mib']:5.0f} MiB",
            f"  ratio                                       : {figures['ratio']:7.2f} (target >= 0.80 on live pages)",
            f"  CPU per article: backfill {project['cpu_ms']:.2f} ms (replica meanwhile {project['replica_cpu_ms']:.2f}), "
            f"bare {bare['cpu_ms']:.2f} ms (replica {bare['replica_cpu_ms']:.2f}); bare wall {cpu['bare_ms']:.2f} ms an article",
            f"  web archive: {project['archive_bytes'] / max(stored, 1) / 1024:.1f} KiB per stored article (discovery pages included)",
            f"  best ratio this CPU allows: {cpu['one_thread']:.2f} on one thread, {cpu['all_cores']:.2f} spread over {cpu['cores']} cores",
            f"  requests: {figures['article_requests']} article pages + {discovery} discovery pages for {project['stored']} stored articles "
            f"= {figures['article_requests'] / stored:.3f} article requests per stored article (target <= 1.05) "
            f"+ {discovery / stored:.3f} discovery",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1, help="rounds of both crawls, best kept")
    parser.add_argument("--weight", choices=WEIGHTS, default="live", help="replica page weight")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.articles, args.rounds, args.weight)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
