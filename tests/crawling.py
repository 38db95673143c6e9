"""Run a real crawl in a child process (Scrapy's reactor runs once per process) and read back
what it wrote: the JSONL feed, the final stats and the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class CrawlResult:
    """What one crawl left behind."""

    returncode: int
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str


def run_crawl(
    spider: str,
    base_url: str,
    workdir: Path,
    *spider_args: str,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    """``mizan-crawler crawl SPIDER -a ARG... -O items.jsonl`` against ``base_url``."""
    feed, stats_file = workdir / "items.jsonl", workdir / "stats.json"
    command = [sys.executable, "-m", "mizan_crawler", "crawl", spider, "-O", str(feed)]
    for argument in spider_args:
        command += ["-a", argument]
    for name, value in {"DOWNLOAD_DELAY": "0", **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "MIZAN_BASE_URL": base_url, "MIZAN_STATS_FILE": str(stats_file)}
    done = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    items = []
    if feed.exists():
        items = [json.loads(line) for line in feed.read_text("utf-8").splitlines() if line]
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    return CrawlResult(done.returncode, items, stats, done.stdout + done.stderr)
