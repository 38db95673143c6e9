"""Feed exporters: CSV with one cell per list, Excel-friendly CSV, and typed Parquet.

Registered in ``FEED_EXPORTERS``; the ``export`` command uses the same classes, so a file
written during a crawl and one exported from the store are alike. pyarrow is imported only when
a Parquet file is written (a crawl's feed exporter loads every registered exporter class).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, BinaryIO

from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter, CsvItemExporter

from .items import ARTICLE_FIELDS

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

LIST_SEPARATOR = " | "
PARQUET_ROW_GROUP = 5_000


@cache
def parquet_schema() -> pa.Schema:
    """The Parquet files' fixed, typed schema: one column per record field."""
    import pyarrow as pa

    types = {
        "news_code": pa.int64(),
        "published_at": pa.timestamp("ms", tz="Asia/Tehran"),
        "modified_at": pa.timestamp("ms", tz="Asia/Tehran"),
        "tags": pa.list_(pa.string()),
        "image_urls": pa.list_(pa.string()),
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in ARTICLE_FIELDS])


class CsvExporter(CsvItemExporter):
    """The record's columns in a fixed order; ``tags`` and ``image_urls`` joined by `` | ``."""

    def __init__(self, file: BinaryIO, **kwargs: Any) -> None:
        kwargs.setdefault("fields_to_export", list(ARTICLE_FIELDS))
        kwargs.setdefault("join_multivalued", LIST_SEPARATOR)
        super().__init__(file, **kwargs)


class CsvBomExporter(CsvExporter):
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Persian text right."""

    def __init__(self, file: BinaryIO, **kwargs: Any) -> None:
        kwargs["encoding"] = "utf-8-sig"
        super().__init__(file, **kwargs)


def parquet_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record's values as the Parquet schema takes them."""
    row = {name: record.get(name) for name in ARTICLE_FIELDS}
    for name in ("published_at", "modified_at"):
        if row[name] is not None:
            row[name] = datetime.fromisoformat(row[name])
    row["tags"] = list(row["tags"] or [])
    row["image_urls"] = list(row["image_urls"] or [])
    return row


class ParquetExporter(BaseItemExporter):
    """Parquet with the fixed, typed schema :func:`parquet_schema`, written in row groups.

    Parquet files cannot be appended to: write them with ``-O`` (overwrite), not ``-o``.
    """

    def __init__(self, file: BinaryIO, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.rows: list[dict[str, Any]] = []
        self.writer: pq.ParquetWriter | None = None

    def start_exporting(self) -> None:
        import pyarrow.parquet as pq

        self.writer = pq.ParquetWriter(self.file, parquet_schema(), compression="zstd")

    def export_item(self, item: Any) -> None:
        self.rows.append(parquet_row(ItemAdapter(item).asdict()))
        if len(self.rows) >= PARQUET_ROW_GROUP:
            self._write_rows()

    def finish_exporting(self) -> None:
        self._write_rows()
        if self.writer is not None:
            self.writer.close()

    def _write_rows(self) -> None:
        if self.rows and self.writer is not None:
            import pyarrow as pa

            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=parquet_schema()))
            self.rows = []
