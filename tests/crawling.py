"""Run real crawls in child processes (Scrapy's reactor runs once per process) and read back
what they wrote: the JSONL feed, the final stats, the log and the store; wait for a crawl to get
somewhere."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from mizan_crawler.store import open_store


@dataclass
class CrawlResult:
    """What one crawl left behind."""

    returncode: int
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str


@dataclass
class RunningCrawl:
    """A crawl started in the background; ``wait()`` collects it. Its output is read as it comes,
    so that a talkative crawl never blocks on a full pipe while the test waits for something."""

    process: subprocess.Popen[str]
    workdir: Path
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait(self, timeout: float = 120) -> CrawlResult:
        self.process.wait(timeout=timeout)
        self.reader.join(timeout=10)
        output = "".join(self.lines)
        feed, stats_file = self.workdir / "items.jsonl", self.workdir / "stats.json"
        items = []
        if feed.exists():
            items = [json.loads(line) for line in feed.read_text("utf-8").splitlines() if line]
        stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
        return CrawlResult(self.process.returncode, items, stats, output)


def _spawn(command: list[str], workdir: Path, environment: dict[str, str]) -> RunningCrawl:
    """Start ``command`` in ``workdir``, its output read as it comes (see ``RunningCrawl``)."""
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return RunningCrawl(process, workdir)


def start_crawl(
    spider: str,
    base_url: str,
    workdir: Path,
    *spider_args: str,
    settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> RunningCrawl:
    """``mizan-crawler crawl SPIDER -a ARG... -O items.jsonl`` against ``base_url``, at full speed.

    The store is the default SQLite file under ``workdir`` unless ``env`` sets ``DATABASE_URL``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "mizan_crawler", "crawl", spider, "-O", "items.jsonl"]
    for argument in spider_args:
        command += ["-a", argument]
    full_speed = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False"}
    for name, value in {**full_speed, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    environment = {
        **os.environ,
        "MIZAN_BASE_URL": base_url,
        "MIZAN_STATS_FILE": str(workdir / "stats.json"),
        **(env or {}),
    }
    return _spawn(command, workdir, environment)


def run_crawl(
    spider: str,
    base_url: str,
    workdir: Path,
    *spider_args: str,
    settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    """Run a crawl to the end (see ``start_crawl``)."""
    running = start_crawl(spider, base_url, workdir, *spider_args, settings=settings, env=env)
    return running.wait(timeout)


# While and after a crawl --------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def sqlite_rows(database: Path) -> int:
    """Articles in a SQLite store a crawl may be writing (0 before it exists)."""
    if not database.exists():
        return 0
    try:
        with closing(sqlite3.connect(database, timeout=1)) as connection:
            return connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:  # not created yet, or locked by the crawl for a moment
        return 0


def pg_rows(url: str) -> int:
    """Articles in a PostgreSQL store a crawl may be writing (0 before it exists)."""
    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            if connection.execute("SELECT to_regclass('articles')").fetchone()[0] is None:
                return 0
            return connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except psycopg.OperationalError:  # the server is restarting
        return 0


def stored_hashes(workdir: Path) -> dict[int, str]:
    """News code -> content hash of every article in the default SQLite store under ``workdir``."""
    with open_store(f"sqlite:///{workdir / 'data' / 'mizan.sqlite'}") as store:
        return {row["news_code"]: row["content_hash"] for row in store.iter_articles()}


def run_reparse(
    workdir: Path,
    *arguments: str,
    base_url: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 180,
) -> CrawlResult:
    """``mizan-crawler reparse ARGUMENT... -O items.jsonl`` in ``workdir`` (see ``start_crawl``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in ("items.jsonl", "stats.json"):
        (workdir / stale).unlink(missing_ok=True)
    command = [sys.executable, "-m", "mizan_crawler", "reparse", *arguments, "-O", "items.jsonl"]
    environment = {**os.environ, "MIZAN_STATS_FILE": str(workdir / "stats.json"), **(env or {})}
    if base_url is not None:
        environment["MIZAN_BASE_URL"] = base_url
    return _spawn(command, workdir, environment).wait(timeout)
