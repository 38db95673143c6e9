"""Peak memory of a full-speed backfill of the replica at two sizes, and requests per stored
article for `backfill` and `news`.

    python bench/memory.py [--small 5000] [--large 50000] [--json PATH]

Target: peak memory at 50,000 articles at most 1.3x that at 5,000.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from urllib.request import urlopen

from _common import machine, project_crawl, replica_process

from mizan_crawler.pages.article import news_code_from_url
from mizan_crawler.replica import Corpus

FULL_SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
              "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING", "-s", "MEMUSAGE_ENABLED=True",
              "-s", "MIZAN_PROGRESS_INTERVAL=0"]  # fmt: skip


def requests_made(base: str) -> tuple[int, int]:
    """(article page requests, other requests) the replica has answered."""
    with urlopen(f"{base}/_replica/requests", timeout=120) as response:
        log = json.loads(response.read())
    articles = sum(1 for row in log if news_code_from_url(str(row["path"])) is not None)
    return articles, len(log) - articles


def backfill_run(articles: int) -> dict[str, float]:
    corpus = Corpus(articles, seed=1)
    with tempfile.TemporaryDirectory() as tmp, replica_process(articles) as base:
        seconds, stats = project_crawl(
            base,
            Path(tmp),
            "backfill",
            *FULL_SPEED,
            "-a",
            f"from={corpus.start:%Y-%m-%d}",
            "-a",
            f"to={corpus.end:%Y-%m-%d}",
        )
        article_requests, other = requests_made(base)
    stored = int(stats.get("mizan/store/new", 0))
    return {
        "articles": articles,
        "stored": stored,
        "seconds": seconds,
        "peak_mib": int(stats["memusage/max"]) / 2**20,
        "article_requests_per_stored": article_requests / max(stored, 1),
        "discovery_requests_per_stored": other / max(stored, 1),
    }


def news_run(articles: int) -> dict[str, float]:
    """`news` on an empty store, paging back over the whole replica (`since` its first day)."""
    corpus = Corpus(articles, seed=1)
    with tempfile.TemporaryDirectory() as tmp, replica_process(articles) as base:
        _, stats = project_crawl(
            base,
            Path(tmp),
            "news",
            *FULL_SPEED,
            "-a",
            f"since={corpus.start:%Y-%m-%d}",
            "-s",
            "MIZAN_NEWS_MAX_PAGES=100000",
        )
        article_requests, other = requests_made(base)
    stored = int(stats.get("mizan/store/new", 0))
    return {
        "stored": stored,
        "article_requests_per_stored": article_requests / max(stored, 1),
        "discovery_requests_per_stored": other / max(stored, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=5000)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    small, large = backfill_run(args.small), backfill_run(args.large)
    news = news_run(args.small)
    ratio = large["peak_mib"] / small["peak_mib"]
    lines = [
        f"bench/memory.py ({machine()})",
        f"  backfill of {args.small:>6} articles: peak {small['peak_mib']:6.0f} MiB, {small['seconds']:6.1f} s (baseline)",
        f"  backfill of {args.large:>6} articles: peak {large['peak_mib']:6.0f} MiB, {large['seconds']:6.1f} s ({ratio:.2f}x, target <= 1.3x)",
        f"  backfill requests per stored article: {small['article_requests_per_stored']:.3f} article + "
        f"{small['discovery_requests_per_stored']:.3f} discovery (target <= 1.05 + discovery)",
        f"  news requests per stored article    : {news['article_requests_per_stored']:.3f} article + "
        f"{news['discovery_requests_per_stored']:.3f} discovery ({news['stored']} stored)",
    ]
    print("\n".join(lines))  # noqa: T201 - a benchmark's output is its result
    if args.json:
        args.json.write_text(
            json.dumps({"small": small, "large": large, "ratio": ratio, "news": news}, indent=1)
        )


if __name__ == "__main__":
    main()
