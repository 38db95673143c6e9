"""Crawl speed, memory and requests per article: a full-speed backfill of the replica with the
project's spider and store, next to a bare Scrapy spider fetching the same article URLs.

    python bench/crawl.py [--articles 5000]

Targets: at least 70% of the bare rate; requests per stored article at most 1.05 plus the
sitemap (discovery) pages.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from urllib.request import urlopen

from _common import machine, project_crawl, replica_process, timed

from mizan_crawler.pages.article import news_code_from_url
from mizan_crawler.replica import Corpus

FULL_SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "AUTOTHROTTLE_ENABLED=False",
              "-s", "LOG_LEVEL=WARNING", "-s", "MEMUSAGE_ENABLED=True"]  # fmt: skip


def request_log(base: str) -> list[dict[str, object]]:
    with urlopen(f"{base}/_replica/requests", timeout=60) as response:
        return json.loads(response.read())


def bare_run(base: str, urls: list[str], folder: Path) -> tuple[float, dict[str, object]]:
    url_file, stats_file = folder / "urls.txt", folder / "bare-stats.json"
    url_file.write_text("\n".join(urls))
    spider = Path(__file__).with_name("_bare_spider.py")
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"url_file={url_file}",
               "-a", f"stats_file={stats_file}", "-s", "ROBOTSTXT_OBEY=False", *FULL_SPEED]  # fmt: skip
    seconds = timed(command, {}, str(folder))
    return seconds, json.loads(stats_file.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    corpus = Corpus(args.articles, seed=1)
    first_day, last_day = f"{corpus.start:%Y-%m-%d}", f"{corpus.end:%Y-%m-%d}"
    with tempfile.TemporaryDirectory() as tmp, replica_process(args.articles) as base:
        folder = Path(tmp)
        project_seconds, project_stats = project_crawl(
            base, folder, "backfill", "-a", f"from={first_day}", "-a", f"to={last_day}", *FULL_SPEED
        )
        log = request_log(base)
        article_paths = [
            row["path"] for row in log if news_code_from_url(str(row["path"])) is not None
        ]
        urls = [f"{base}{path}" for path in article_paths]
        bare_seconds, bare_stats = bare_run(base, urls, folder)
    stored = int(project_stats.get("mizan/store/new", 0))
    discovery = len(log) - len(article_paths)
    project_rate, bare_rate = stored / project_seconds, len(urls) / bare_seconds
    lines = [
        f"bench/crawl.py: backfill of a {args.articles}-article replica ({machine()}; 16 concurrent requests, no delay, same settings for both)",
        f"  bare Scrapy spider, same {len(urls)} article URLs : {bare_rate:7.1f} articles/s  {bare_seconds:6.1f} s  peak {int(bare_stats['memusage/max']) / 2**20:5.0f} MiB",
        f"  mizan-crawler backfill, SQLite store        : {project_rate:7.1f} articles/s  {project_seconds:6.1f} s  peak {int(project_stats['memusage/max']) / 2**20:5.0f} MiB",
        f"  ratio                                       : {project_rate / bare_rate:7.2f} (target >= 0.70)",
        f"  requests: {len(article_paths)} article pages + {discovery} discovery pages for {stored} stored articles "
        f"= {len(article_paths) / max(stored, 1):.3f} article requests per stored article (target <= 1.05) "
        f"+ {discovery / max(stored, 1):.3f} discovery",
    ]
    print("\n".join(lines))  # noqa: T201 - a benchmark's output is its result


if __name__ == "__main__":
    main()
