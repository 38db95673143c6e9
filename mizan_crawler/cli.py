"""The ``mizan-crawler`` command.

    mizan-crawler crawl SPIDER [scrapy crawl options]     run a spider with the project's settings
    mizan-crawler export --format jsonl|csv|parquet --out DIR [--from DAY] [--to DAY] [--service NAME]
    mizan-crawler stats                                   summarise the store
    mizan-crawler coverage --out DIR [--from DAY] [--to DAY]   stored against listed: chart, report
    mizan-crawler history CODE [--format text|json]       every kept version of an article, diffed
    mizan-crawler search "QUERY" [--from DAY] [--to DAY] [--service NAME] [--limit 20]
    mizan-crawler reparse PATH... [-o FILE] [--workers N] rebuild records from WARC/WACZ archives
    mizan-crawler replica [--port 8000 --articles 1000 --seed 1]   serve the local replica site
    mizan-crawler status --redis-url URL [--spider NAME]  crawls shared through Redis: queue, workers

``export``, ``stats``, ``coverage``, ``history``, ``search`` and ``reparse`` read ``--database-url`` (default:
``DATABASE_URL``, else the SQLite file ``data/mizan.sqlite``). A usage or data error prints one
line and exits non-zero.

Each sub-command imports what it needs when it runs, so a scheduled ``crawl`` starts without
loading the exporters (pyarrow), Redis, PostgreSQL's driver, the archive reader, matplotlib or the
replica.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .store.urls import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from .store import Filters, Store
    from .store.search import SearchHit

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
    from .dates import day_end, day_start
    from .store import Filters

    since, until = _days(args)
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
    from .datasets import FORMATS, export, exported_line

    parser = _Parser(prog="mizan-crawler export", description=export_command.__doc__)
    _database_option(parser)
    parser.add_argument("--format", required=True, choices=sorted(FORMATS))
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    _day_options(parser)
    parser.add_argument(
        "--csv-bom", action="store_true", help="CSV with a UTF-8 BOM for spreadsheets"
    )
    args = parser.parse_args(argv)
    filters, described = _filters(args)
    if args.out.exists() and not args.out.is_dir():
        raise CommandError(f"--out {args.out} is a file, not a directory")
    with _open(args.database_url) as store:
        exported = export(
            store,
            args.format,
            args.out,
            filters=filters,
            described=described,
            csv_bom=args.csv_bom,
            month_pattern=_month_pattern(),
        )
    sys.stdout.write(exported_line(exported) + "\n")


def stats_command(argv: list[str]) -> None:
    """Summarise the store: articles, dates, services, months, revisions, withdrawals."""
    from . import ledger
    from .datasets import format_summary, store_summary

    parser = _Parser(prog="mizan-crawler stats", description=stats_command.__doc__)
    _database_option(parser)
    args = parser.parse_args(argv)
    with _open(args.database_url) as store:
        summary, revisions = store_summary(store)
        text = format_summary(summary, revisions, store.url.redacted, store.withdrawal_counts())
        sys.stdout.write(text + "\n")
        coverage = "\n".join(ledger.describe(store.coverage()))
        sys.stdout.write(f"\ncoverage ledger:\n{coverage}\n")


def coverage_command(argv: list[str]) -> None:
    """Write how complete the store is: a chart (coverage.png) of articles per day stored against
    listed in the site's sitemaps, and a report (coverage.md): per Jalali month stored, listed,
    missing and withdrawn, the days without a stored article or far below their usual count, the
    news-code ranges with no article, the missing and withdrawn articles."""
    from .completeness.report import REPORT_NAME, report
    from .completeness.tally import tally

    parser = _Parser(prog="mizan-crawler coverage", description=coverage_command.__doc__)
    _database_option(parser)
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    parser.add_argument("--from", dest="since", help="first day: 2024-06-01 or 1403-03-12")
    parser.add_argument("--to", dest="until", help="last day (inclusive)")
    args = parser.parse_args(argv)
    since, until = _days(args)
    if args.out.exists() and not args.out.is_dir():
        raise CommandError(f"--out {args.out} is a file, not a directory")
    from .completeness import chart  # matplotlib: here only, never in a crawl

    try:
        chart.check_text_layout()
    except chart.ChartError as error:
        raise CommandError(str(error)) from None
    with _open(args.database_url) as store:
        counted = tally(store, since, until, _month_pattern())
        text = report(counted, store.url.redacted, store.coverage(), chart.PNG_NAME)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        chart.draw(counted, args.out / chart.PNG_NAME, "Mizan Online: articles per day")
    except chart.ChartError as error:
        raise CommandError(str(error)) from None
    (args.out / REPORT_NAME).write_text(text, encoding="utf-8")
    total = counted.total
    sys.stdout.write(
        f"wrote {args.out / chart.PNG_NAME} and {args.out / REPORT_NAME}: {total.stored} stored, "
        f"{total.listed} listed, {total.missing} missing, {total.withdrawn} withdrawn\n"
    )


def _days(args: argparse.Namespace) -> tuple[date | None, date | None]:
    from .dates import DateParseError, parse_day

    try:
        since = parse_day(args.since) if args.since else None
        until = parse_day(args.until) if args.until else None
    except DateParseError as error:
        raise CommandError(f"bad date: {error}") from None
    if since and until and since > until:
        raise CommandError(f"--from {args.since} is after --to {args.until}")
    return since, until


def _month_pattern() -> str:
    """How a urlset's URL names its month, as the project's settings tell the backfill."""
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    return str(get_project_settings().get("MIZAN_SITEMAP_MONTH_PATTERN"))


def reparse_command(argv: list[str]) -> None:
    """Rebuild records from WARC or WACZ files (or folders of them) through the crawl's parser and
    pipelines, into the store and optionally a feed, without a single request to the site."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.conf import feed_process_params_from_cli
    from scrapy.utils.project import get_project_settings

    from .archive.reader import archive_files
    from .archive.reparse import ReparseSpider, default_workers
    from .monitoring.status import exit_status

    parser = _Parser(prog="mizan-crawler reparse", description=reparse_command.__doc__)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="WARC/WACZ file or folder")
    _database_option(parser)
    parser.add_argument("-o", "--output", action="append", help="also append items to FILE")
    parser.add_argument("-O", "--overwrite-output", action="append", help="write items to FILE")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="parsing processes (default: the cores available, %(default)s)",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("MIZAN_BASE_URL") or None,
        help="the site the archive holds (default: $MIZAN_BASE_URL, else the live site)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    try:
        files = archive_files(args.paths)
    except FileNotFoundError as error:
        raise CommandError(str(error)) from None
    if not files:
        raise CommandError(f"no WARC or WACZ files in {', '.join(args.paths)}")
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    settings = get_project_settings()
    settings.set("DATABASE_URL", args.database_url, priority="cmdline")
    settings.set("MIZAN_ARCHIVE_DIR", "", priority="cmdline")  # nothing is fetched to archive
    settings.set("MIZAN_REDIS_URL", "", priority="cmdline")  # one process: nothing to share
    if args.base_url:
        settings.set("MIZAN_BASE_URL", args.base_url, priority="cmdline")
    if args.output or args.overwrite_output:
        feeds = feed_process_params_from_cli(
            settings, args.output, overwrite_output=args.overwrite_output
        )
        settings.set("FEEDS", feeds, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ReparseSpider)
    process.crawl(crawler, paths=files, workers=args.workers)
    process.start()
    raise SystemExit(exit_status(crawler.stats.get_stats() if crawler.stats else {}))


def history_command(argv: list[str]) -> None:
    """Show every kept version of one article, oldest first, with what changed in each."""
    from . import history

    parser = _Parser(prog="mizan-crawler history", description=history_command.__doc__)
    parser.add_argument("code", type=int, metavar="CODE", help="the article's news code")
    _database_option(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people, json for scripts",
    )
    args = parser.parse_args(argv)
    with _open(args.database_url) as store:
        current = store.article(args.code)
        if current is None:
            raise CommandError(f"no article with news code {args.code} in {store.url.redacted}")
        earlier = list(store.iter_revisions(args.code))
    kept = list(history.versions([*earlier, {**current, "is_current": True}]))
    show = history.as_json if args.format == "json" else history.describe
    sys.stdout.write(show(args.code, kept) + "\n")


def _day_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="since", help="first publication day: 2024-06-01 or 1403-03-12"
    )
    parser.add_argument("--to", dest="until", help="last publication day (inclusive)")
    parser.add_argument("--service", help="only this service (e.g. سیاسی)")


def search_command(argv: list[str]) -> None:
    """Find stored articles by words of their title, lead or body (Persian letter forms, ZWNJ
    and digits folded; see README "For researchers")."""
    from .search_text import SearchQueryError

    parser = _Parser(prog="mizan-crawler search", description=search_command.__doc__)
    _database_option(parser)
    parser.add_argument("query", help='words, all required; "..." or «...» for a phrase')
    _day_options(parser)
    parser.add_argument("--limit", type=int, default=20, help="at most this many (%(default)s)")
    args = parser.parse_args(argv)
    filters, _described = _filters(args)
    if args.limit < 1:
        raise CommandError(f"--limit {args.limit}: give a number of articles, 1 or more")
    with _open(args.database_url) as store:
        try:
            hits = store.search(args.query, filters, args.limit)
        except SearchQueryError as error:
            raise CommandError(str(error)) from None
    sys.stdout.write("".join(map(_hit_lines, hits)) if hits else "no articles match\n")


def _hit_lines(hit: SearchHit) -> str:
    date = hit.published_at_jalali or "undated"
    return f"{hit.news_code}  {date}  {hit.title}\n    {hit.snippet}\n"


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
    "coverage": coverage_command,
    "reparse": reparse_command,
    "history": history_command,
    "search": search_command,
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
