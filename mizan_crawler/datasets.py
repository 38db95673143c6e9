"""Research datasets from the store: ``export`` (files plus a dataset card) and ``stats``.

Rows are streamed from the store, so an export of millions of articles holds one chunk at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any, BinaryIO

import jdatetime
from scrapy.exporters import BaseItemExporter, JsonLinesItemExporter

from . import __version__, history
from .completeness.report import month_table
from .completeness.tally import tally
from .dates import TEHRAN
from .exporters import CsvBomExporter, CsvExporter, ParquetExporter, parquet_schema
from .items import ARTICLE_FIELDS, FIELD_DOCS
from .settings import MIZAN_SITEMAP_MONTH_PATTERN
from .store import Filters, Store

FORMATS = {"jsonl": "articles.jsonl", "csv": "articles.csv", "parquet": "articles.parquet"}
REVISION_FILES = {fmt: f"revisions.{fmt}" for fmt in FORMATS}
# A revisions file's columns: which version of which article, what changed, then the record.
REVISION_FIELDS = ("news_code", "version", "is_current", "changed_fields", *ARTICLE_FIELDS[1:])
REVISION_DOCS = {
    "version": "1 for the oldest kept version of the article, then 2, 3, ... by crawl time",
    "is_current": "whether this is the version the store holds now (the one in the articles file)",
    "changed_fields": "the fields that differ from the version before (none for version 1); "
    "`crawled_at` and `content_hash` are not compared",
}


@dataclass
class Summary:
    """What a set of rows holds, gathered in one pass."""

    count: int = 0
    first_published: str | None = None
    last_published: str | None = None
    undated: int = 0
    withdrawn: int = 0
    services: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    months: Counter[str] = field(default_factory=Counter)
    first_seen: str | None = None
    last_seen: str | None = None

    def add(self, row: dict[str, Any]) -> None:
        """Count one row."""
        self.count += 1
        self.services[row.get("service") or "(none)"] += 1
        self.kinds[row.get("kind") or "(none)"] += 1
        self.withdrawn += row.get("withdrawn_at") is not None
        published = row.get("published_at")
        if published is None:
            self.undated += 1
        else:
            moment = datetime.fromisoformat(published)
            self.months[_jalali_month(moment)] += 1
            self.first_published = _earlier(self.first_published, published)
            self.last_published = _later(self.last_published, published)
        self.first_seen = _earlier(self.first_seen, row.get("first_seen_at"))
        self.last_seen = _later(self.last_seen, row.get("last_seen_at"))


def _jalali_month(moment: datetime) -> str:
    local = moment.astimezone(TEHRAN).replace(tzinfo=None)
    jalali = jdatetime.date.fromgregorian(date=local.date())
    return f"{jalali.year:04d}-{jalali.month:02d}"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _earlier(current: str | None, candidate: str | None) -> str | None:
    if candidate is None or (current is not None and _instant(current) <= _instant(candidate)):
        return current
    return candidate


def _later(current: str | None, candidate: str | None) -> str | None:
    if candidate is None or (current is not None and _instant(current) >= _instant(candidate)):
        return current
    return candidate


def _exporter(
    fmt: str, handle: BinaryIO, csv_bom: bool, names: tuple[str, ...] = ARTICLE_FIELDS
) -> BaseItemExporter:
    if fmt == "jsonl":
        return JsonLinesItemExporter(handle, encoding="utf-8", fields_to_export=list(names))
    if fmt == "csv":
        return (CsvBomExporter if csv_bom else CsvExporter)(handle, fields_to_export=list(names))
    return ParquetExporter(handle, schema=parquet_schema(names))


def write_rows(
    rows: Iterable[dict[str, Any]],
    fmt: str,
    path: Path,
    csv_bom: bool = False,
    names: tuple[str, ...] = ARTICLE_FIELDS,
) -> int:
    """Write the columns ``names`` of ``rows`` as ``fmt`` to ``path``; return how many rows."""
    count = 0
    with path.open("wb") as handle:
        exporter = _exporter(fmt, handle, csv_bom, names)
        exporter.start_exporting()
        for row in rows:
            count += 1
            exporter.export_item({name: row.get(name) for name in names})
        exporter.finish_exporting()
    return count


def _counted(rows: Iterable[dict[str, Any]], summary: Summary) -> Iterator[dict[str, Any]]:
    for row in rows:
        summary.add(row)
        yield row


@dataclass
class RevisionSummary:
    """What a revisions file holds: its versions, and the articles with more than one."""

    versions: int = 0
    edited: int = 0


def revision_rows(
    store: Store, filters: Filters, summary: RevisionSummary
) -> Iterator[dict[str, Any]]:
    """Every kept version of the selected articles, numbered per article with its changed
    fields; one article's versions in memory at a time."""
    for _code, rows in groupby(store.iter_versions(filters), key=lambda row: row["news_code"]):
        kept = list(history.versions(rows))
        summary.versions += len(kept)
        summary.edited += len(kept) > 1
        for version in kept:
            yield {
                **version.record,
                "version": version.number,
                "is_current": version.is_current,
                "changed_fields": version.changed_fields,
            }


@dataclass(frozen=True)
class Exported:
    """The files an export wrote and what they hold."""

    data: Path
    summary: Summary
    revisions: Path
    revision_summary: RevisionSummary
    card: Path


def exported_line(exported: Exported) -> str:
    """What an export wrote, in one line."""
    return (
        f"wrote {exported.summary.count} articles to {exported.data}, their "
        f"{exported.revision_summary.versions} kept versions to {exported.revisions} and the "
        f"dataset card {exported.card}"
    )


def export(
    store: Store,
    fmt: str,
    out: Path,
    *,
    filters: Filters,
    described: str,
    csv_bom: bool = False,
    month_pattern: str = MIZAN_SITEMAP_MONTH_PATTERN,
) -> Exported:
    """Export the selected rows, and every kept version of them, into ``out`` with a dataset
    card (its completeness table read with ``month_pattern``, as ``coverage`` reads it)."""
    out.mkdir(parents=True, exist_ok=True)
    data, revisions = out / FORMATS[fmt], out / REVISION_FILES[fmt]
    summary, revision_summary = Summary(), RevisionSummary()
    write_rows(_counted(store.iter_articles(filters), summary), fmt, data, csv_bom)
    rows = revision_rows(store, filters, revision_summary)
    write_rows(rows, fmt, revisions, csv_bom, REVISION_FIELDS)
    card = dataset_card(
        summary,
        fmt,
        data.name,
        store.url.redacted,
        described,
        revisions=store.count_revisions(),
        revision_file=(revisions.name, revision_summary),
        completeness=_completeness(store, filters, month_pattern),
    )
    (out / "README.md").write_text(card, encoding="utf-8")
    return Exported(data, summary, revisions, revision_summary, out / "README.md")


def _completeness(store: Store, filters: Filters, month_pattern: str) -> list[str]:
    """The per-month completeness table of the selected days (of every service)."""
    since, until = (
        None if epoch is None else datetime.fromtimestamp(epoch, TEHRAN).date()
        for epoch in (filters.since_epoch, filters.until_epoch)
    )
    return month_table(tally(store, since, until, month_pattern))


def _table(counter: Counter[str], heading: str, by_key: bool = False) -> Iterator[str]:
    yield f"| {heading} | articles |"
    yield "|---|---:|"
    items = sorted(counter.items()) if by_key else counter.most_common()
    for key, number in items:
        yield f"| {key} | {number} |"


def dataset_card(
    summary: Summary,
    fmt: str,
    data_name: str,
    store: str,
    filters: str,
    *,
    revisions: int = 0,
    revision_file: tuple[str, RevisionSummary] | None = None,
    completeness: list[str] | None = None,
) -> str:
    """The dataset card (``README.md``) of an export (``revisions``: earlier versions the store
    keeps, of all its articles; ``revision_file``: the revisions file's name and contents;
    ``completeness``: the per-month table of ``mizan-crawler coverage``)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [
        "# Mizan Online articles",
        "",
        f"Articles of Mizan Online (mizanonline.ir, the news agency of Iran's judiciary), exported "
        f"by mizan-crawler {__version__} on {now} from the store `{store}`.",
        "",
        f"- file: `{data_name}` ({fmt}), one record per news code",
        f"- rows: {summary.count}",
        f"- selection: {filters}",
        f"- publication dates: {summary.first_published or '-'} to {summary.last_published or '-'}"
        + (f" ({summary.undated} rows without a readable date)" if summary.undated else ""),
        f"- first crawled {summary.first_seen or '-'}, last crawled {summary.last_seen or '-'} (UTC)",
        f"- earlier versions of edited articles kept in the store: {revisions} (not in this "
        "file; a change to any field but `crawled_at` counts as an edit"
        + (
            f"; those of the selected articles are in `{revision_file[0]}`)"
            if revision_file
            else ")"
        ),
        f"- withdrawn from the site since they were stored: {summary.withdrawn} (kept, with "
        "`withdrawn_at` set)",
        "",
        "## How it was crawled",
        "",
        "mizan-crawler (Scrapy) fetched the article pages politely (robots.txt obeyed, one request "
        "at a time with a delay), parsed them with per-field selectors, normalised the Persian "
        "text (Arabic ي/ك to Persian ی/ک, invisible characters removed, every ZWNJ kept), converted "
        "the printed Jalali dates to timestamps in Iran time (Asia/Tehran, with the summer time "
        "used until 2022) and stored one row per news code, keeping earlier versions of edited "
        "articles apart. Dates are never guessed: a date the page did not give readably is null, "
        "with the printed text in `published_at_raw`; such rows are in an export of the whole "
        "store, not in one selected by day (`--from`, `--to`).",
        "",
        "## Fields",
        "",
        "| field | meaning |",
        "|---|---|",
        *(f"| `{name}` | {FIELD_DOCS[name]} |" for name in ARTICLE_FIELDS),
        "",
        "In CSV, `tags` and `image_urls` are joined by ` | ` in one cell. In Parquet, `news_code` is "
        "int64, `published_at` and `modified_at` timestamps with the time zone Asia/Tehran, "
        "`withdrawn_at` a timestamp in UTC, "
        "`tags` and `image_urls` lists of strings, the rest strings.",
        *(_revision_lines(fmt, *revision_file) if revision_file else ()),
        "",
        "## Services",
        "",
        *_table(summary.services, "service"),
        "",
        "## Kinds",
        "",
        *_table(summary.kinds, "kind"),
        "",
        "## Articles per month (Jalali calendar, Iran time)",
        "",
        *_table(summary.months, "month", by_key=True),
        "",
        *(_completeness_lines(completeness) if completeness is not None else ()),
    ]
    return "\n".join(lines)


def _completeness_lines(table: list[str]) -> list[str]:
    return [
        "## Completeness: stored against listed in the site's sitemaps",
        "",
        "Of the selected days, every service (`mizan-crawler coverage` draws the same per day, "
        "with the holes, thin days and missing articles named):",
        "",
        *table,
        "",
    ]


def _revision_lines(fmt: str, name: str, kept: RevisionSummary) -> list[str]:
    """The card's part on the revisions file: what it holds and its columns."""
    return [
        "",
        "## Revisions",
        "",
        f"`{name}` ({fmt}) holds every version the store keeps of the selected articles, one row "
        "per version, oldest first per news code, the current one (as in the articles file) "
        "last.",
        "",
        f"- rows: {kept.versions} (versions)",
        f"- articles with more than one version (edited since first crawled): {kept.edited}",
        "",
        "Each row is the whole record as it was crawled then; after `news_code` come these "
        "columns:",
        "",
        "| field | meaning |",
        "|---|---|",
        *(f"| `{column}` | {doc} |" for column, doc in REVISION_DOCS.items()),
        "",
        "The record's fields follow, as above. `changed_fields` is a list of strings in Parquet "
        "and JSONL and joined by ` | ` in CSV; `is_current` is a boolean (`True`/`False` in "
        "CSV). `mizan-crawler history CODE` shows the same versions with what changed in each "
        "text, paragraph by paragraph.",
    ]


def store_summary(store: Store, filters: Filters | None = None) -> tuple[Summary, int]:
    """One pass over the store: what it holds, and how many earlier versions it keeps."""
    summary = Summary()
    for row in store.iter_articles(filters):
        summary.add(row)
    return summary, store.count_revisions()


def format_summary(
    summary: Summary, revisions: int, store: str, withdrawals: tuple[int, int] = (0, 0)
) -> str:
    """``stats`` as text for a terminal (``withdrawals``: found, and how many came back)."""
    lines = [
        f"store: {store}",
        f"articles: {summary.count} ({summary.undated} without a readable date)",
        f"published: {summary.first_published or '-'} to {summary.last_published or '-'}",
        f"crawled: {summary.first_seen or '-'} to {summary.last_seen or '-'}",
        f"revisions kept: {revisions}",
        f"withdrawn: {summary.withdrawn} (gone from the site, kept in the store); withdrawals "
        f"found: {withdrawals[0]}, of which back on the site: {withdrawals[1]}",
        "",
        "per service:",
        *(f"  {name}: {number}" for name, number in summary.services.most_common()),
        "",
        "per kind:",
        *(f"  {name}: {number}" for name, number in summary.kinds.most_common()),
        "",
        "per month (Jalali):",
        *(f"  {name}: {number}" for name, number in sorted(summary.months.items())),
    ]
    return "\n".join(lines)
