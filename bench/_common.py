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


def measured(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user and system, the command's processes that it waited
    for included: reparse's workers) of a command, which must succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command)
    return wall, usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], cwd: str) -> float:
    """Wall seconds of a command, which must succeed."""
    return measured(command, env, cwd)[0]


def replica_cpu(base: str) -> float:
    """CPU seconds the replica at ``base`` has used so far (every thread of its process)."""
    with urlopen(f"{base}/_replica/cpu", timeout=60) as response:
        return float(json.loads(response.read())["cpu_seconds"])


CPU_STAT = "bench/cpu_seconds"  # added to a crawl's stats: the CPU seconds its process used
REPLICA_CPU_STAT = "bench/replica_cpu_seconds"  # and those the replica used meanwhile


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
    return _crawl(base, command, env, folder, stats_file)


def _crawl(
    base: str, command: list[str], env: dict[str, str], folder: Path, stats_file: Path
) -> tuple[float, dict[str, object]]:
    """Wall seconds and final stats of a crawl of the replica at ``base``, with the crawl's CPU
    seconds and the replica's over the same time added to the stats."""
    replica_before = replica_cpu(base)
    seconds, cpu = measured(command, env, str(folder))
    replica = replica_cpu(base) - replica_before
    stats = json.loads(stats_file.read_text())
    return seconds, {**stats, CPU_STAT: cpu, REPLICA_CPU_STAT: replica}


def request_log(base: str) -> list[str]:
    """The paths crawlers asked the replica for, in order."""
    with urlopen(f"{base}/_replica/requests", timeout=60) as response:
        paths = [str(row["path"]) for row in json.loads(response.read())]
    return [path for path in paths if crawler_request(path)]


def bare_run(
    base: str, urls: list[str], folder: Path, settings: list[str]
) -> tuple[float, dict[str, object]]:
    """Wall seconds and final stats of the bare Scrapy spider (``_bare_spider.py``, run outside
    the project's settings) fetching ``urls`` with the ``-s`` options ``settings``."""
    url_file, stats_file = folder / "urls.txt", folder / "bare-stats.json"
    url_file.write_text("\n".join(urls))
    spider = Path(__file__).with_name("_bare_spider.py")
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"url_file={url_file}",
               "-a", f"stats_file={stats_file}", "-s", "ROBOTSTXT_OBEY=False", *settings]  # fmt: skip
    return _crawl(base, command, {}, folder, stats_file)
