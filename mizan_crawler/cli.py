"""The ``mizan-crawler`` command.

    mizan-crawler crawl SPIDER [scrapy crawl options]     run a spider with the project's settings
    mizan-crawler export --format jsonl|csv|parquet --out DIR [--from DAY] [--to DAY] [--service NAME]
    mizan-crawler stats                                   summarise the store
    mizan-crawler replica [--port 8000 --articles 1000 --seed 1]   serve the local replica site
    mizan-crawler status --redis-url URL [--spider NAME]  crawls shared through Redis: queue, workers

``export`` and ``stats`` read ``--database-url`` (default: ``DATABASE_URL``, else the SQLite file
``data/mizan.sqlite``). A usage or data error prints one line and exits non-zero.

Each sub-command imports what it needs when it runs, so a scheduled ``crawl`` starts without
loading the exporters (pyarrow), Redis, PostgreSQL's driver or the replica.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .store.urls import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from .store import Filters, Store

SETTINGS_MODULE = "mizan_crawler.settings"


class CommandError(Exception):
    """A problem to report in one line, with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def crawl(argv: list[str]) -> None:
    """``scrapy crawl`` with this project's settings, from any directory."""
    from scrapy.cmdline import execute

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    execute(["scrapy", "crawl", *argv])


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="the store (default: $DATABASE_URL, else %(default)s)",
    )


def _filters(args: argparse.Namespace) -> tuple[Filters, str]:
    from .dates import DateParseError, day_end, day_start, parse_day
    from .store import Filters

    try:
        since = parse_day(args.since) if args.since else None
        until = parse_day(args.until) if args.until else None
    except DateParseError as error:
        raise CommandError(f"bad date: {error}") from None
    if since and until and since > until:
        raise CommandError(f"--from {args.since} is after --to {args.until}")
    filters = Filters(
        since_epoch=int(day_start(since).timestamp()) if since else None,
        until_epoch=int(day_end(until).timestamp()) if until else None,
        service=args.service,
    )
    described = ", ".join(
        part
        for part in (
            f"published from {since} (Iran time)" if since else "",
            f"published to {until} inclusive (Iran time)" if until else "",
            f"service {args.service}" if args.service else "",
        )
        if part
    )
    return filters, described or "all stored articles"


def export_command(argv: list[str]) -> None:
    """Write stored articles to a directory as JSONL, CSV or Parquet, with a dataset card."""
    from .datasets import FORMATS, export

    parser = _Parser(prog="mizan-crawler export", description=export_command.__doc__)
    _database_option(parser)
    parser.add_argument("--format", required=True, choices=sorted(FORMATS))
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    parser.add_argument(
        "--from", dest="since", help="first publication day: 2024-06-01 or 1403-03-12"
    )
    parser.add_argument("--to", dest="until", help="last publication day (inclusive)")
    parser.add_argument("--service", help="only this service (e.g. سیاسی)")
    parser.add_argument(
        "--csv-bom", action="store_true", help="CSV with a UTF-8 BOM for spreadsheets"
    )
    args = parser.parse_args(argv)
    filters, described = _filters(args)
    if args.out.exists() and not args.out.is_dir():
        raise CommandError(f"--out {args.out} is a file, not a directory")
    with _open(args.database_url) as store:
        data, summary = export(
            store, args.format, args.out, filters=filters, described=described, csv_bom=args.csv_bom
        )
    sys.stdout.write(f"wrote {summary.count} articles to {data} and {args.out / 'README.md'}\n")


def stats_command(argv: list[str]) -> None:
    """Summarise the store: articles, dates, services, months, revisions."""
    from . import ledger
    from .datasets import format_summary, store_summary

    parser = _Parser(prog="mizan-crawler stats", description=stats_command.__doc__)
    _database_option(parser)
    args = parser.parse_args(argv)
    with _open(args.database_url) as store:
        summary, revisions = store_summary(store)
        sys.stdout.write(format_summary(summary, revisions, store.url.redacted) + "\n")
        coverage = "\n".join(ledger.describe(store.coverage()))
        sys.stdout.write(f"\ncoverage ledger:\n{coverage}\n")


def _open(database_url: str) -> Store:
    from .store import StoreConfigError, StoreUnavailable, open_store

    try:
        return open_store(database_url)
    except (StoreConfigError, StoreUnavailable) as error:
        raise CommandError(str(error)) from None


def status_command(argv: list[str]) -> None:
    """Show the crawls shared through Redis: queued requests, seen fingerprints, workers, items."""
    import redis

    from .distributed.keys import redis_problem
    from .distributed.status import DEFAULT_PREFIX, status_report

    parser = _Parser(prog="mizan-crawler status", description=status_command.__doc__)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("MIZAN_REDIS_URL") or os.environ.get("REDIS_URL"),
        help="the crawl's Redis (default: $MIZAN_REDIS_URL, else $REDIS_URL)",
    )
    parser.add_argument("--spider", help="only this spider's crawls (e.g. backfill)")
    parser.add_argument(
        "--prefix", default=DEFAULT_PREFIX, help="key prefix (MIZAN_REDIS_KEY_PREFIX)"
    )
    args = parser.parse_args(argv)
    if not args.redis_url:
        raise CommandError("give --redis-url redis://host:6379/0 (or set MIZAN_REDIS_URL)")
    try:
        report = status_report(args.redis_url, args.prefix, args.spider)
    except redis.RedisError as error:
        raise CommandError(redis_problem(args.redis_url, error)) from None
    sys.stdout.write(report + "\n")


def replica_command(argv: list[str]) -> None:
    """Serve the local replica site (``python -m mizan_crawler.replica``)."""
    from .replica.__main__ import main as replica_main

    replica_main(argv)


COMMANDS = {
    "crawl": crawl,
    "export": export_command,
    "stats": stats_command,
    "replica": replica_command,
    "status": status_command,
}


def main(argv: list[str] | None = None) -> None:
    """Dispatch to a sub-command; each takes the rest of the command line."""
    args = sys.argv[1:] if argv is None else argv
    parser = _Parser(
        prog="mizan-crawler",
        description="Crawl Mizan Online (mizanonline.ir) into typed article records.",
        epilog="Examples: mizan-crawler crawl article -a urls=4776124 | "
        "mizan-crawler export --format parquet --out dataset/ | mizan-crawler stats",
    )
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to do")
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        parser.parse_args(args[:1] or ["--help"])
    try:
        COMMANDS[args[0]](args[1:])
    except CommandError as error:
        sys.stderr.write(f"mizan-crawler {args[0]}: error: {error}\n")
        raise SystemExit(2) from None
