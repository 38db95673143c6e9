"""What the browser costs: time per article page over plain HTTP and rendered in Chromium.

    python bench/browser.py [--pages 100] [--rounds 2] [--json PATH]

The same replica article pages are crawled by the ``article`` spider four ways, in the same run,
one request at a time (as the crawler is polite in production) with no delay and no store:
plain HTTP without the browser handler (``never``); plain HTTP with it installed (``auto`` on
pages that need no browser); every page rendered (``always``); and ``auto`` against a replica
whose every article sits behind a challenge (one render, then the earned cookie over plain HTTP).
Time per page is the crawl's own elapsed time (Scrapy's start to finish, so the interpreter's
start-up is left out; the browser's launch is in) over the pages; best of the rounds. The
replica's own time per answer is in every row alike, so the extra time per rendered page is the
browser's own cost. Without Chromium (``MIZAN_CHROMIUM``, by default /usr/bin/chromium) only the
first mode is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

from _common import machine, replica_process, timed, write_figures

from mizan_crawler.browser.config import chromium_found
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
    bases: tuple[str, str], folder: Path, rounds: int, modes: list[tuple[str, str, bool]]
) -> dict[str, tuple[float, dict[str, object]]]:
    """Best elapsed seconds and that run's stats per mode, rounds interleaved."""
    best: dict[str, tuple[float, dict[str, object]]] = {}
    for _ in range(rounds):
        for label, mode, challenged in modes:
            stats = crawl(bases[challenged], folder, mode)
            seconds = float(stats["elapsed_time_seconds"])  # type: ignore[arg-type]
            if label not in best or seconds < best[label][0]:
                best[label] = (seconds, stats)
    return best


def chromium() -> dict[str, Any]:
    """Where the crawler looks for Chromium (``MIZAN_CHROMIUM``), and its version if it is there."""
    path = os.environ.get("MIZAN_CHROMIUM") or "/usr/bin/chromium"
    if not chromium_found(path):
        return {"path": path, "missing": f"no Chromium at {path}; set MIZAN_CHROMIUM"}
    answer = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return {"path": path, "version": answer.stdout.strip()}


def row(
    label: str, mode: str, measured: tuple[float, dict[str, object]], pages: int
) -> dict[str, Any]:
    seconds, stats = measured
    return {
        "label": label,
        "mode": mode,
        "seconds": seconds,
        "ms_per_page": seconds / pages * 1000,
        "items": stats.get("item_scraped_count", 0),
        "renders": stats.get("mizan/browser/renders", 0),
    }


def measure(pages: int = 100, rounds: int = 2) -> dict[str, Any]:
    """Time per page in each mode; a mode that needs Chromium is not measured without it."""
    browser = chromium()
    runnable = [m for m in MODES if m[1] == "never" or "missing" not in browser]
    articles = pages * 2
    codes = [a.news_code for a in Corpus(articles, seed=1) if not a.withdrawn][:pages]
    with (
        tempfile.TemporaryDirectory() as tmp,
        replica_process(articles) as plain_base,
        replica_process(articles, 1, "--challenge-share", "1") as challenged_base,
    ):
        folder = Path(tmp)
        (folder / "urls.txt").write_text("\n".join(str(code) for code in codes))
        best = best_times((plain_base, challenged_base), folder, rounds, runnable)
    rows = [
        row(label, mode, best[label], len(codes))
        if label in best
        else {"label": label, "mode": mode, "not_measured": browser["missing"]}
        for label, mode, _ in MODES
    ]
    return {"pages": len(codes), "rounds": rounds, "chromium": browser,
            "scrapy_playwright": version("scrapy-playwright"), "modes": rows}  # fmt: skip


def summary(figures: dict[str, Any]) -> str:
    rows = figures["modes"]
    baseline = rows[0]["ms_per_page"]
    lines = [
        f"bench/browser.py: {figures['pages']} replica article pages, one request at a time, no delay, "
        f"best of {figures['rounds']} rounds ({machine()})"
    ]
    for found in rows:
        if "not_measured" in found:
            lines.append(f"  {found['label']:40}: not measured ({found['not_measured']})")
            continue
        per_page = found["ms_per_page"]
        lines.append(
            f"  {found['label']:40}: {per_page:7.1f} ms/page  {1000 / per_page:6.1f} pages/s  "
            f"{per_page / baseline:6.2f}x  items {found['items']}  renders {found['renders']}"
        )
    if "ms_per_page" in rows[2]:
        extra = rows[2]["ms_per_page"] - baseline
        lines.append(f"  {'extra time per rendered page':40}: {extra:7.1f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.pages, args.rounds)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
