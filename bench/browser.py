"""What the browser costs: time per article page over plain HTTP and rendered in Chromium.

    python bench/browser.py [--pages 100] [--rounds 2]

The same replica article pages are crawled by the ``article`` spider four ways, in the same run,
one request at a time (as the crawler is polite in production) with no delay and no store:
plain HTTP without the browser handler (``never``); plain HTTP with it installed (``auto`` on
pages that need no browser); every page rendered (``always``); and ``auto`` against a replica
whose every article sits behind a challenge (one render, then the earned cookie over plain HTTP).
Time per page is the crawl's own elapsed time (Scrapy's start to finish, so the interpreter's
start-up is left out; the browser's launch is in) over the pages; best of the rounds. The replica
answers a request on a kept-alive connection about 40 ms late (its headers and body go out in two
writes, and Nagle's algorithm waits for the client's delayed ACK), in every row alike; the extra
time per rendered page is the browser's own cost.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _common import machine, replica_process, timed

from mizan_crawler.replica import Corpus

# One request at a time: with no delay Scrapy 2.19 does not hold a download slot to
# CONCURRENT_REQUESTS_PER_DOMAIN, so the global limit does it.
SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=1", "-s", "AUTOTHROTTLE_ENABLED=False",
         "-s", "LOG_LEVEL=WARNING"]  # fmt: skip
MODES = (
    ("plain HTTP, no browser handler (never)", "never", False),
    ("plain HTTP, handler installed (auto)", "auto", False),
    ("every page in Chromium (always)", "always", False),
    ("auto, every article challenged", "auto", True),
)


def crawl(base: str, folder: Path, mode: str) -> dict[str, object]:
    """One crawl of the URLs in ``folder/urls.txt``; its final stats."""
    stats_file = folder / f"stats-{mode}.json"
    command = [sys.executable, "-m", "mizan_crawler", "crawl", "article", "-a", "url_file=urls.txt",
               "-s", f"MIZAN_PLAYWRIGHT={mode}", *SPEED]  # fmt: skip
    env = {"MIZAN_BASE_URL": base, "MIZAN_STATS_FILE": str(stats_file), "DATABASE_URL": ""}
    timed(command, env, str(folder))
    return json.loads(stats_file.read_text())


def best_times(
    bases: tuple[str, str], folder: Path, rounds: int
) -> dict[str, tuple[float, dict[str, object]]]:
    """Best elapsed seconds and that run's stats per mode, rounds interleaved."""
    best: dict[str, tuple[float, dict[str, object]]] = {}
    for _ in range(rounds):
        for label, mode, challenged in MODES:
            stats = crawl(bases[challenged], folder, mode)
            seconds = float(stats["elapsed_time_seconds"])  # type: ignore[arg-type]
            if label not in best or seconds < best[label][0]:
                best[label] = (seconds, stats)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    articles = args.pages * 2
    codes = [a.news_code for a in Corpus(articles, seed=1) if not a.withdrawn][: args.pages]
    with (
        tempfile.TemporaryDirectory() as tmp,
        replica_process(articles) as plain_base,
        replica_process(articles, 1, "--challenge-share", "1") as challenged_base,
    ):
        folder = Path(tmp)
        (folder / "urls.txt").write_text("\n".join(str(code) for code in codes))
        best = best_times((plain_base, challenged_base), folder, args.rounds)
    baseline = best[MODES[0][0]][0] / len(codes)
    lines = [
        f"bench/browser.py: {len(codes)} replica article pages, one request at a time, no delay, "
        f"best of {args.rounds} rounds ({machine()})"
    ]
    for label, (seconds, stats) in best.items():
        per_page = seconds / len(codes)
        lines.append(
            f"  {label:40}: {per_page * 1000:7.1f} ms/page  {1 / per_page:6.1f} pages/s  "
            f"{per_page / baseline:6.2f}x  items {stats.get('item_scraped_count', 0)}  "
            f"renders {stats.get('mizan/browser/renders', 0)}"
        )
    rendered = best[MODES[2][0]][0] / len(codes)
    extra = (rendered - baseline) * 1000
    lines.append(f"  {'extra time per rendered page':40}: {extra:7.1f} ms")
    print("\n".join(lines))  # noqa: T201 - a benchmark's output is its result


if __name__ == "__main__":
    main()
