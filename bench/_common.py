"""Helpers shared by the benchmarks: a replica in its own process, timing, peak memory."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import urlopen

# Whether the replica is up: a path of its own, which request counts leave out (a site path here
# would count as one more discovery page).
PROBE = "/_replica/clock"


def crawler_request(path: str) -> bool:
    """Whether a path in the replica's request log was asked for by a crawler (not by this code)."""
    return not path.startswith("/_replica/")


def memory_gib() -> float:
    """The machine's physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def machine() -> str:
    """One line describing where the figures were taken."""
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB"


def write_figures(path: Path | None, figures: dict[str, Any]) -> None:
    """A benchmark's figures as JSON at ``path`` (its ``--json`` option), for bench/run_all.py."""
    if path is not None:
        path.write_text(json.dumps(figures, indent=1, ensure_ascii=False))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def replica_process(articles: int, seed: int = 1, *options: str) -> Iterator[str]:
    """A replica in a separate process (so it does not share the crawler's interpreter);
    ``options`` are more command-line flags, such as ``--challenge-share 1``."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mizan_crawler.replica",
            "--port",
            str(port),
            "--articles",
            str(articles),
            "--seed",
            str(seed),
            *options,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                urlopen(f"{base}{PROBE}", timeout=1).close()
                break
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait()


def timed(command: list[str], env: dict[str, str], cwd: str) -> float:
    """Wall seconds of a command, which must succeed."""
    started = time.perf_counter()
    subprocess.run(
        command,
        env={**os.environ, **env},
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def project_crawl(
    base: str, folder: Path, spider: str, *arguments: str
) -> tuple[float, dict[str, object]]:
    """Wall seconds and final stats of ``mizan-crawler crawl SPIDER ARGUMENTS`` against ``base``,
    with a SQLite store in ``folder``."""
    stats_file = folder / f"{spider}-stats.json"
    command = [sys.executable, "-m", "mizan_crawler", "crawl", spider, *arguments]
    env = {
        "MIZAN_BASE_URL": base,
        "MIZAN_STATS_FILE": str(stats_file),
        "DATABASE_URL": f"sqlite:///{folder / f'{spider}.sqlite'}",
    }
    seconds = timed(command, env, str(folder))
    return seconds, json.loads(stats_file.read_text())


def request_log(base: str) -> list[str]:
    """The paths crawlers asked the replica for, in order."""
    with urlopen(f"{base}/_replica/requests", timeout=60) as response:
        paths = [str(row["path"]) for row in json.loads(response.read())]
    return [path for path in paths if crawler_request(path)]


def bare_run(urls: list[str], folder: Path, settings: list[str]) -> tuple[float, dict[str, object]]:
    """Wall seconds and final stats of the bare Scrapy spider (``_bare_spider.py``, run outside
    the project's settings) fetching ``urls`` with the ``-s`` options ``settings``."""
    url_file, stats_file = folder / "urls.txt", folder / "bare-stats.json"
    url_file.write_text("\n".join(urls))
    spider = Path(__file__).with_name("_bare_spider.py")
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"url_file={url_file}",
               "-a", f"stats_file={stats_file}", "-s", "ROBOTSTXT_OBEY=False", *settings]  # fmt: skip
    seconds = timed(command, {}, str(folder))
    return seconds, json.loads(stats_file.read_text())
