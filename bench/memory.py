"""Peak memory of a full-speed backfill of the replica at two sizes, and requests per stored
article for `backfill` and `news`.

    python bench/memory.py [--small 5000] [--large 50000] [--json PATH]

Target: peak memory at 50,000 articles at most 1.3x that at 5,000.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from _common import crawler_request, machine, project_crawl, replica_process, write_figures

from mizan_crawler.pages.article import news_code_from_url
from mizan_crawler.replica import Corpus

FULL_SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
              "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING", "-s", "MEMUSAGE_ENABLED=True",
              "-s", "MIZAN_PROGRESS_INTERVAL=0"]  # fmt: skip


def request_kind(path: str) -> str:
    """What a requested replica path was for: an article page or one kind of discovery page."""
    if news_code_from_url(path) is not None:
        return "article"
    if path.startswith("/robots.txt"):
        return "robots.txt"
    if "sitemap" in path:
        return "sitemaps"
    return "feed" if path.startswith("/fa/rss") else "listings"


def requests_made(base: str) -> Counter[str]:
    """Requests the replica has answered, per :func:`request_kind`."""
    with urlopen(f"{base}/_replica/requests", timeout=120) as response:
        log = json.loads(response.read())
    paths = (str(row["path"]) for row in log)
    return Counter(request_kind(path) for path in paths if crawler_request(path))


def request_figures(stats: dict[str, Any], requests: Counter[str]) -> dict[str, Any]:
    """Stored articles, requests per stored article and what might explain extra requests."""
    stored = int(stats.get("mizan/store/new", 0))
    discovery = requests.total() - requests["article"]
    return {
        "stored": stored,
        "article_requests": requests["article"],
        "discovery_requests": discovery,
        "discovery_kinds": {kind: n for kind, n in sorted(requests.items()) if kind != "article"},
        "retries": int(stats.get("retry/count", 0)),
        "article_requests_per_stored": requests["article"] / max(stored, 1),
        "discovery_requests_per_stored": discovery / max(stored, 1),
    }


def whole_replica_crawl(
    articles: int, spider: str, *arguments: str
) -> tuple[float, dict[str, Any], Counter[str]]:
    """Wall seconds, final stats and the requests the replica saw, for ``spider`` crawling the
    whole of a fresh ``articles``-article replica at full speed into a new SQLite store."""
    with tempfile.TemporaryDirectory() as tmp, replica_process(articles) as base:
        seconds, stats = project_crawl(base, Path(tmp), spider, *FULL_SPEED, *arguments)
        return seconds, stats, requests_made(base)


def backfill_run(articles: int) -> dict[str, Any]:
    corpus = Corpus(articles, seed=1)
    seconds, stats, requests = whole_replica_crawl(
        articles,
        "backfill",
        "-a",
        f"from={corpus.start:%Y-%m-%d}",
        "-a",
        f"to={corpus.end:%Y-%m-%d}",
    )
    return {
        "articles": articles,
        "seconds": seconds,
        "peak_mib": int(stats["memusage/max"]) / 2**20,
        **request_figures(stats, requests),
    }


def news_run(articles: int) -> dict[str, Any]:
    """`news` on an empty store, paging back over the whole replica (`since` its first day)."""
    corpus = Corpus(articles, seed=1)
    seconds, stats, requests = whole_replica_crawl(
        articles,
        "news",
        "-a",
        f"since={corpus.start:%Y-%m-%d}",
        "-s",
        "MIZAN_NEWS_MAX_PAGES=100000",
    )
    return {"articles": articles, "seconds": seconds, **request_figures(stats, requests)}


def measure(small: int = 5000, large: int = 50000) -> dict[str, Any]:
    """Backfills at both sizes, then `news` over the small replica."""
    small_run, large_run = backfill_run(small), backfill_run(large)
    ratio = large_run["peak_mib"] / small_run["peak_mib"]
    return {"small": small_run, "large": large_run, "ratio": ratio, "news": news_run(small)}


def summary(figures: dict[str, Any]) -> str:
    small, large, news = figures["small"], figures["large"], figures["news"]
    lines = [
        f"bench/memory.py ({machine()})",
        f"  backfill of {small['articles']:>6} articles: peak {small['peak_mib']:6.0f} MiB, {small['seconds']:6.1f} s (baseline)",
        f"  backfill of {large['articles']:>6} articles: peak {large['peak_mib']:6.0f} MiB, {large['seconds']:6.1f} s ({figures['ratio']:.2f}x, target <= 1.3x)",
        f"  backfill requests per stored article: {small['article_requests_per_stored']:.3f} article + "
        f"{small['discovery_requests_per_stored']:.3f} discovery (target <= 1.05 + discovery)",
        f"  news requests per stored article    : {news['article_requests_per_stored']:.3f} article + "
        f"{news['discovery_requests_per_stored']:.3f} discovery ({news['stored']} stored)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=5000)
    parser.add_argument("--large", type=int, default=50000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.small, args.large)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
