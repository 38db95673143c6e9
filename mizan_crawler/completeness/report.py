"""The completeness report (``coverage.md``) and its per-month table, which the dataset card of
every export includes too."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime

import jdatetime
from persiantools import digits

from .. import __version__, ledger
from ..dates import MONTHS, day_end, day_start
from ..store import CoverageMark
from . import findings
from .tally import Counts, Tally

REPORT_NAME = "coverage.md"
MONTH_NAMES = {number: name for name, number in reversed(MONTHS.items())}  # the first spelling
LEDGER_SLACK = 60  # seconds between two runs' spans that are no hole (ranges of whole days touch)
SHOWN = 200  # rows of a list shown before "and N more"


def month_name(month: str) -> str:
    """``1403-02`` as people write it in Persian: ``اردیبهشت ۱۴۰۳``."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number)]} {digits.en_to_fa(year)}"


def jalali_day(day: date) -> str:
    """A Gregorian day as its Jalali date, ``1403-02-22``."""
    jalali = jdatetime.date.fromgregorian(date=day)
    return f"{jalali.year:04d}-{jalali.month:02d}-{jalali.day:02d}"


def day_label(day: date | None) -> str:
    """A day for a report: Jalali, then Gregorian (``1403-02-22 (2024-05-11)``)."""
    return "no day" if day is None else f"{jalali_day(day)} ({day.isoformat()})"


def _row(label: str, counts: Counts) -> str:
    return (
        f"| {label} | {counts.stored} | {counts.listed} | {counts.missing} | {counts.withdrawn} |"
    )


def month_table(counted: Tally) -> list[str]:
    """Per Jalali month: stored, listed, missing, withdrawn, then the whole; with what the
    columns mean and which months no urlset was read for."""
    lines = [
        "| month | stored | listed | missing | withdrawn |",
        "|---|---:|---:|---:|---:|",
        *(
            _row(f"{month} ({month_name(month)})", counts)
            for month, counts in sorted(counted.months.items())
        ),
        _row("all", counted.total),
        "",
        "stored: articles in the store published that month (Iran time); listed: entries of the "
        "site's sitemap archive that backfills read, in the month their urlset names; missing: "
        "listed and not stored; withdrawn: stored, and no longer served by the site.",
    ]
    unread = [month for month, counts in sorted(counted.months.items()) if not counts.listed]
    if unread:
        lines += [
            "",
            f"No backfill read the sitemaps of {', '.join(unread)}: nothing is listed there, so "
            "what is missing in those months is unknown (a backfill of those days reads them).",
        ]
    if counted.undated:
        lines += ["", f"{counted.undated} stored articles have no readable date (in no month)."]
    return lines


def _more(total: int, shown: int) -> list[str]:
    return [f"... and {total - shown} more."] if total > shown else []


def _empty_lines(runs: Sequence[findings.EmptyRun]) -> Iterator[str]:
    yield "## Days without a stored article"
    yield ""
    if not runs:
        yield "None: every day of the span has at least one stored article."
        return
    yield "| from | to | days | listed on them |"
    yield "|---|---|---:|---:|"
    for run in runs[:SHOWN]:
        yield f"| {day_label(run.first)} | {day_label(run.last)} | {run.length} | {run.listed} |"
    yield from _more(len(runs), SHOWN)
    yield ""
    yield (
        "A run with articles listed is a hole in the store; one with none listed either is a "
        "quiet stretch of the site or one whose sitemaps no backfill read."
    )


def _low_lines(low: Sequence[findings.LowDay]) -> Iterator[str]:
    yield "## Days far below their usual count"
    yield ""
    yield (
        "A day with fewer stored articles than a third of its usual count: the median of the 28 "
        "days around it (14 each side, the day left out), when that median is 3 or more."
    )
    yield ""
    if not low:
        yield "None."
        return
    yield "| day | stored | listed | usual |"
    yield "|---|---:|---:|---:|"
    for item in low[:SHOWN]:
        yield f"| {day_label(item.day)} | {item.stored} | {item.listed} | {item.usual:g} |"
    yield from _more(len(low), SHOWN)


def _gap_lines(counted: Tally) -> Iterator[str]:
    stride = findings.usual_stride(counted.stored_codes)
    gaps = findings.code_gaps(counted.stored_codes, counted.missing_codes)
    yield "## News-code ranges with no article"
    yield ""
    if stride is None:
        yield "Fewer than two stored articles: no range to judge."
        return
    yield (
        f"Neighbouring stored news codes usually differ by {stride:g}; these pairs are more than "
        f"{findings.GAP_FACTOR} times that apart, with no stored code between them."
    )
    yield ""
    if not gaps:
        yield "None."
        return
    yield "| after | before | codes between | listed (missing) |"
    yield "|---:|---:|---:|---:|"
    for gap in gaps[:SHOWN]:
        yield f"| {gap.after} | {gap.before} | {gap.codes_between} | {gap.listed} |"
    yield from _more(len(gaps), SHOWN)


def _missing_lines(counted: Tally) -> Iterator[str]:
    yield "## Missing articles (listed, not stored)"
    yield ""
    if not counted.missing:
        yield "None."
        return
    yield (
        f"{counted.total.missing} articles: {counted.dated_by_lastmod} dated by their sitemap "
        f"`lastmod` (the latest day they can have been published), {counted.without_day} with "
        "no day (counted in their urlset's month). Fetch them with `mizan-crawler crawl article "
        "-a urls=CODE,...`, or a backfill of their days."
    )
    yield ""
    yield "| news code | day | dated by |"
    yield "|---:|---|---|"
    shown = counted.missing[:SHOWN]
    for item in shown:
        yield f"| {item.news_code} | {day_label(item.day)} | {item.dated_by} |"
    yield from _more(counted.total.missing, len(shown))


def _withdrawn_lines(counted: Tally) -> Iterator[str]:
    yield "## Withdrawn articles"
    yield ""
    if not counted.withdrawn:
        yield "None."
        return
    yield "Stored articles the site no longer serves; the store keeps them, with `withdrawn_at`."
    yield ""
    yield "| news code | published | first found gone (UTC) |"
    yield "|---:|---|---|"
    shown = counted.withdrawn[:SHOWN]
    for item in shown:
        yield f"| {item.news_code} | {day_label(item.day)} | {item.withdrawn_at} |"
    yield from _more(counted.total.withdrawn, len(shown))


def _ledger_lines(marks: list[CoverageMark], days: Sequence[date]) -> Iterator[str]:
    yield "## Stretches no run recorded as read (coverage ledger)"
    yield ""
    if not days:
        yield "No day to judge."
        return
    first, last = int(day_start(days[0]).timestamp()), int(day_end(days[-1]).timestamp())
    unread = ledger.holes(marks, first, last, LEDGER_SLACK)
    if not unread:
        yield "None: completed backfills and scheduled crawls read the whole span."
        return
    for start, end in unread:
        yield f"- {ledger.moment(start)} to {ledger.moment(end)}"


def report(counted: Tally, store: str, marks: list[CoverageMark], chart: str | None) -> str:
    """The whole report as Markdown."""
    days = findings.span(counted)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    chosen = f"from {day_label(days[0])} to {day_label(days[-1])} (Iran time)" if days else "no day"
    lines = [
        "# Completeness of the store",
        "",
        f"Store `{store}`, days {chosen}; written by mizan-crawler {__version__} on {now}.",
        "",
        f"- stored: {counted.total.stored} articles",
        f"- listed in the site's sitemaps: {counted.total.listed}",
        f"- missing (listed, not stored): {counted.total.missing}",
        f"- withdrawn (stored, gone from the site): {counted.total.withdrawn}",
        *([f"- chart: `{chart}`"] if chart else []),
        "",
        "## Per month (Jalali calendar)",
        "",
        *month_table(counted),
        "",
        *_empty_lines(findings.empty_runs(counted, days)),
        "",
        *_low_lines(findings.low_days(counted, days)),
        "",
        *_gap_lines(counted),
        "",
        *_missing_lines(counted),
        "",
        *_withdrawn_lines(counted),
        "",
        *_ledger_lines(marks, days),
        "",
    ]
    return "\n".join(lines)
