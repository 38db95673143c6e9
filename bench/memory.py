"""Peak memory of a full-speed backfill of the replica at two sizes, next to the bare Scrapy
spider fetching the same article URLs of the larger one, and requests per stored article for
`backfill` and `news`.

    python bench/memory.py [--small 1000] [--large 20000] [--weight live|light] [--json PATH]

The replica serves pages at the live site's weight (about 185 KB, the default) or light ones.
Targets: peak memory flat with the replica's size (at the larger size at most 1.3x that at the
smaller) and at most 2x the bare spider's on the same pages.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from _common import (
    bare_run,
    crawler_request,
    machine,
    project_crawl,
    replica_process,
    request_log,
    write_figures,
)

from mizan_crawler.pages.article import news_code_from_url
from mizan_crawler.replica import Corpus
from mizan_crawler.replica.chrome import WEIGHTS

# Scrapy's memusage/max is the process's peak resident set (ru_maxrss) as of its last check,
# every 60 s by default: a crawl shorter than that would report its start-up size.
FULL_SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
              "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING", "-s", "MEMUSAGE_ENABLED=True", "-s", "MEMUSAGE_CHECK_INTERVAL_SECONDS=0.5",
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
    articles: int, weight: str, spider: str, *arguments: str, bare: bool = False
) -> tuple[float, dict[str, Any], Counter[str], dict[str, Any] | None]:
    """Wall seconds, final stats and the requests the replica saw, for ``spider`` crawling the
    whole of a fresh ``articles``-article replica at full speed into a new SQLite store; with
    ``bare``, then the bare spider's wall seconds and stats on the same article URLs."""
    replica = replica_process(articles, 1, "--weight", weight)
    with tempfile.TemporaryDirectory() as tmp, replica as base:
        seconds, stats = project_crawl(base, Path(tmp), spider, *FULL_SPEED, *arguments)
        requests = requests_made(base)
        if not bare:
            return seconds, stats, requests, None
        urls = [f"{base}{path}" for path in request_log(base) if news_code_from_url(path)]
        bare_seconds, bare_stats = bare_run(base, urls, Path(tmp), FULL_SPEED)
        baseline = {"urls": len(urls), "seconds": bare_seconds,
                    "peak_mib": int(bare_stats["memusage/max"]) / 2**20}  # fmt: skip
        return seconds, stats, requests, baseline


def backfill_run(articles: int, weight: str, bare: bool = False) -> dict[str, Any]:
    corpus = Corpus(articles, seed=1)
    seconds, stats, requests, baseline = whole_replica_crawl(
        articles,
        weight,
        "backfill",
        "-a",
        f"from={corpus.start:%Y-%m-%d}",
        "-a",
        f"to={corpus.end:%Y-%m-%d}",
        bare=bare,
    )
    found = {
        "articles": articles,
        "seconds": seconds,
        "peak_mib": int(stats["memusage/max"]) / 2**20,
        **request_figures(stats, requests),
    }
    if baseline is not None:
        found["bare"] = baseline
    return found


def news_run(articles: int, weight: str) -> dict[str, Any]:
    """`news` on an empty store, paging back over the whole replica (`since` its first day)."""
    corpus = Corpus(articles, seed=1)
    seconds, stats, requests, _ = whole_replica_crawl(
        articles,
        weight,
        "news",
        "-a",
        f"since={corpus.start:%Y-%m-%d}",
        "-s",
        "MIZAN_NEWS_MAX_PAGES=100000",
    )
    return {"articles": articles, "seconds": seconds, **request_figures(stats, requests)}


def measure(small: int = 1000, large: int = 20000, weight: str = "live") -> dict[str, Any]:
    """Backfills at both sizes (the bare spider after the larger), then `news` over the small
    replica."""
    small_run, large_run = backfill_run(small, weight), backfill_run(large, weight, bare=True)
    return {
        "weight": weight,
        "small": small_run,
        "large": large_run,
        "ratio": large_run["peak_mib"] / small_run["peak_mib"],
        "of_bare": large_run["peak_mib"] / large_run["bare"]["peak_mib"],
        "news": news_run(small, weight),
    }


def summary(figures: dict[str, Any]) -> str:
    small, large, news = figures["small"], figures["large"], figures["news"]
    bare = large["bare"]
    lines = [
        f"bench/memory.py ({figures['weight']} pages; {machine()})",
        f"  bare spider, {bare['urls']:>6} articles: peak {bare['peak_mib']:6.0f} MiB, {bare['seconds']:6.1f} s (baseline)",
        f"  backfill of {small['articles']:>6} articles: peak {small['peak_mib']:6.0f} MiB, {small['seconds']:6.1f} s",
        f"  backfill of {large['articles']:>6} articles: peak {large['peak_mib']:6.0f} MiB, {large['seconds']:6.1f} s "
        f"({figures['ratio']:.2f}x the smaller, target <= 1.3x; {figures['of_bare']:.2f}x the bare spider, target <= 2x)",
        f"  backfill requests per stored article: {small['article_requests_per_stored']:.3f} article + "
        f"{small['discovery_requests_per_stored']:.3f} discovery (target <= 1.05 + discovery)",
        f"  news requests per stored article    : {news['article_requests_per_stored']:.3f} article + "
        f"{news['discovery_requests_per_stored']:.3f} discovery ({news['stored']} stored)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--weight", choices=WEIGHTS, default="live", help="replica page weight")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.small, args.large, args.weight)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
