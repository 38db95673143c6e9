"""Run a crawl every ``--interval`` minutes, one run at a time, for ever (or ``--max-runs``).

    python -m mizan_crawler.scheduler --interval 15 [--max-runs N] [--spider news] [-- extra crawl options]

Each run is a child process (``mizan-crawler crawl news``), so a crash or a leak in one run
cannot harm the next. A failed run (non-zero exit: a failed monitor, an unreachable store) is
logged and the next interval simply runs again. After every run a heartbeat file records when it
ended and how, which the container health check reads (``--check``).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .redaction import redact_arguments

logger = logging.getLogger("mizan_crawler.scheduler")

DEFAULT_HEARTBEAT = Path("data/scheduler-heartbeat.json")


def crawl_command(spider: str, extra: list[str]) -> list[str]:
    """The child process one run starts."""
    return [sys.executable, "-m", "mizan_crawler", "crawl", spider, *extra]


def run_once(command: list[str], number: int) -> int:
    """One crawl; returns its exit status (logged either way)."""
    started = time.monotonic()
    logger.info("Run %d: %s", number, redact_arguments(command[2:]))
    status = subprocess.call(command)
    seconds = time.monotonic() - started
    if status == 0:
        logger.info("Run %d finished in %.0f s", number, seconds)
    else:
        logger.error(
            "Run %d failed (exit status %d) after %.0f s; the next interval runs again",
            number,
            status,
            seconds,
        )
    return status


def write_heartbeat(path: Path, number: int, status: int) -> None:
    """Record the end of a run for the health check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "run": number,
        "status": status,
        "ended_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.write_text(json.dumps(record))


def healthy(path: Path, interval_minutes: float, now: datetime | None = None) -> bool:
    """Whether the last run ended recently enough (two intervals and a grace hour)."""
    try:
        ended = datetime.fromisoformat(json.loads(path.read_text())["ended_at"])
    except (OSError, ValueError, KeyError):
        return False
    age = ((now or datetime.now(UTC)) - ended).total_seconds()
    return age <= 2 * interval_minutes * 60 + 3600


def schedule(
    interval_minutes: float, command: list[str], max_runs: int | None, heartbeat: Path
) -> None:
    """Run ``command`` every interval; a run longer than the interval delays the next, never
    overlaps it."""
    number = 0
    while max_runs is None or number < max_runs:
        number += 1
        started = time.monotonic()
        status = run_once(command, number)
        write_heartbeat(heartbeat, number, status)
        if max_runs is not None and number >= max_runs:
            break
        time.sleep(max(0.0, interval_minutes * 60 - (time.monotonic() - started)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mizan_crawler.scheduler", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--interval", type=float, default=15.0, help="minutes between run starts (default 15)"
    )
    parser.add_argument("--spider", default="news", help="spider to run (default news)")
    parser.add_argument("--max-runs", type=int, default=None, help="stop after this many runs")
    parser.add_argument(
        "--heartbeat", type=Path, default=DEFAULT_HEARTBEAT, help="file the health check reads"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 0 if the last run ended recently, else 1"
    )
    parser.add_argument("extra", nargs="*", help="options passed to `mizan-crawler crawl SPIDER`")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.check:
        raise SystemExit(0 if healthy(args.heartbeat, args.interval) else 1)
    if args.interval <= 0:
        raise SystemExit("--interval must be positive")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s"
    )
    logger.info("Crawling with %s every %g minutes", args.spider, args.interval)
    try:
        schedule(
            args.interval, crawl_command(args.spider, args.extra), args.max_runs, args.heartbeat
        )
    except KeyboardInterrupt:
        logger.info("Stopped")


if __name__ == "__main__":
    main()
