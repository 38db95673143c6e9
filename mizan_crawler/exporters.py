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
def _types() -> dict[str, pa.DataType]:
    import pyarrow as pa

    return {
        "news_code": pa.int64(),
        "published_at": pa.timestamp("ms", tz="Asia/Tehran"),
        "modified_at": pa.timestamp("ms", tz="Asia/Tehran"),
        "withdrawn_at": pa.timestamp("ms", tz="UTC"),  # the crawler's observation, not the site's
        "tags": pa.list_(pa.string()),
        "image_urls": pa.list_(pa.string()),
        # the columns of a revisions file (datasets.REVISION_FIELDS) beside the record's
        "version": pa.int32(),
        "is_current": pa.bool_(),
        "changed_fields": pa.list_(pa.string()),
    }


@cache
def parquet_schema(names: tuple[str, ...] = ARTICLE_FIELDS) -> pa.Schema:
    """The typed schema of these columns (the record's by default): the record's types, strings
    for the rest."""
    import pyarrow as pa

    return pa.schema([(name, _types().get(name, pa.string())) for name in names])


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


def parquet_row(record: dict[str, Any], schema: pa.Schema | None = None) -> dict[str, Any]:
    """A record's values as the Parquet ``schema`` (the record's by default) takes them."""
    import pyarrow as pa

    schema = schema if schema is not None else parquet_schema()
    row = {name: record.get(name) for name in schema.names}
    for column in schema:
        if pa.types.is_timestamp(column.type) and row[column.name] is not None:
            row[column.name] = datetime.fromisoformat(row[column.name])
        elif pa.types.is_list(column.type):
            row[column.name] = list(row[column.name] or [])
    return row


class ParquetExporter(BaseItemExporter):
    """Parquet with a fixed, typed schema (:func:`parquet_schema`, the record's, unless a
    ``schema`` is given), written in row groups.

    Parquet files cannot be appended to: write them with ``-O`` (overwrite), not ``-o``.
    """

    def __init__(self, file: BinaryIO, *, schema: pa.Schema | None = None, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.schema = schema if schema is not None else parquet_schema()
        self.rows: list[dict[str, Any]] = []
        self.writer: pq.ParquetWriter | None = None

    def start_exporting(self) -> None:
        import pyarrow.parquet as pq

        self.writer = pq.ParquetWriter(self.file, self.schema, compression="zstd")

    def export_item(self, item: Any) -> None:
        self.rows.append(parquet_row(ItemAdapter(item).asdict(), self.schema))
        if len(self.rows) >= PARQUET_ROW_GROUP:
            self._write_rows()

    def finish_exporting(self) -> None:
        self._write_rows()
        if self.writer is not None:
            self.writer.close()

    def _write_rows(self) -> None:
        if self.rows and self.writer is not None:
            import pyarrow as pa

            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []
