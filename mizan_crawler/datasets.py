"""Research datasets from the store: ``export`` (files plus a dataset card) and ``stats``.

Rows are streamed from the store, so an export of millions of articles holds one chunk at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import jdatetime
from scrapy.exporters import BaseItemExporter, JsonLinesItemExporter

from . import __version__
from .dates import TEHRAN
from .exporters import CsvBomExporter, CsvExporter, ParquetExporter
from .items import ARTICLE_FIELDS, FIELD_DOCS
from .store import Filters, Store

FORMATS = {"jsonl": "articles.jsonl", "csv": "articles.csv", "parquet": "articles.parquet"}


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


def _exporter(fmt: str, handle: BinaryIO, csv_bom: bool) -> BaseItemExporter:
    if fmt == "jsonl":
        return JsonLinesItemExporter(
            handle, encoding="utf-8", fields_to_export=list(ARTICLE_FIELDS)
        )
    if fmt == "csv":
        return (CsvBomExporter if csv_bom else CsvExporter)(handle)
    return ParquetExporter(handle)


def write_rows(
    rows: Iterable[dict[str, Any]], fmt: str, path: Path, csv_bom: bool = False
) -> Summary:
    """Write ``rows`` as ``fmt`` to ``path``; return what they held."""
    summary = Summary()
    with path.open("wb") as handle:
        exporter = _exporter(fmt, handle, csv_bom)
        exporter.start_exporting()
        for row in rows:
            summary.add(row)
            exporter.export_item({name: row.get(name) for name in ARTICLE_FIELDS})
        exporter.finish_exporting()
    return summary


def export(
    store: Store,
    fmt: str,
    out: Path,
    *,
    filters: Filters,
    described: str,
    csv_bom: bool = False,
) -> tuple[Path, Summary]:
    """Export the selected rows into ``out`` with a dataset card; return the data file's path."""
    out.mkdir(parents=True, exist_ok=True)
    data = out / FORMATS[fmt]
    summary = write_rows(store.iter_articles(filters), fmt, data, csv_bom)
    card = dataset_card(
        summary, fmt, data.name, store.url.redacted, described, revisions=store.count_revisions()
    )
    (out / "README.md").write_text(card, encoding="utf-8")
    return data, summary


def _table(counter: Counter[str], heading: str, by_key: bool = False) -> Iterator[str]:
    yield f"| {heading} | articles |"
    yield "|---|---:|"
    items = sorted(counter.items()) if by_key else counter.most_common()
    for key, number in items:
        yield f"| {key} | {number} |"


def dataset_card(
    summary: Summary, fmt: str, data_name: str, store: str, filters: str, *, revisions: int = 0
) -> str:
    """The dataset card (``README.md``) of an export (``revisions``: earlier versions the store
    keeps, of all its articles)."""
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
        "file; a change to any field but `crawled_at` counts as an edit)",
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
    ]
    return "\n".join(lines)


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
