"""``export`` and ``stats``: files read back exactly, date filters, the dataset card, errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mizan_crawler.cli import main
from mizan_crawler.store import open_store

from .records import record

EDGES = [
    # (news_code, published_at): month and summer-time edges, in Iran time
    (1, "2024-06-20T23:59:00+03:30"),  # 1403-03-31 23:59, last minute of Khordad
    (2, "2024-06-21T00:00:00+03:30"),  # 1403-04-01 00:00, first minute of Tir
    (3, "2022-09-21T23:30:00+04:30"),  # 1401-06-30 23:30, last summer-time hour
    (4, "2022-09-22T00:30:00+03:30"),  # 1401-06-31 00:30, standard time again
    (5, "2024-05-31T23:59:00+03:30"),  # 2024-05-31, last minute of May
    (6, "2024-06-01T00:00:00+03:30"),  # 2024-06-01, first minute of June
]
HOSTILE = record(
    99,
    title='\'; DROP TABLE articles; -- "quoted", comma | pipe',
    lead="\u202eRLO\u202c and a\ttab",
    body="line one\n\nline two " + "ب" * 200_000,
    tags=["a,b", "'", '"'],
    published_at="2023-01-01T12:00:00+03:30",
)


# Edited in the repeated hour of the night summer time ended (the second 23:45 of 1401-06-30).
MODIFIED = {3: "2022-09-21T23:45:00+03:30"}


@pytest.fixture
def filled(database_url: str) -> str:
    records = [
        record(code, published_at=when, modified_at=MODIFIED.get(code)) for code, when in EDGES
    ]
    with open_store(database_url) as store:
        store.write([*records, HOSTILE])
    return database_url


def _export(database_url: str, out: Path, *options: str) -> None:
    main(["export", "--database-url", database_url, "--out", str(out), *options])


def _stored(database_url: str) -> dict[int, dict[str, Any]]:
    with open_store(database_url) as store:
        return {row["news_code"]: row for row in store.iter_articles()}


def _record_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in record(0)}


def test_jsonl_round_trip(filled: str, tmp_path: Path) -> None:
    _export(filled, tmp_path, "--format", "jsonl")
    lines = (tmp_path / "articles.jsonl").read_text("utf-8").splitlines()
    exported = {row["news_code"]: row for row in map(json.loads, lines)}
    assert exported == {code: _record_fields(row) for code, row in _stored(filled).items()}
    assert exported[99] == HOSTILE


def test_csv_round_trip_with_lists_in_one_cell(filled: str, tmp_path: Path) -> None:
    _export(filled, tmp_path, "--format", "csv")
    raw = (tmp_path / "articles.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    csv.field_size_limit(10_000_000)  # the 200 KB body is over the reader's default
    rows = {int(row["news_code"]): row for row in csv.DictReader(io.StringIO(raw.decode("utf-8")))}
    assert rows[99]["title"] == HOSTILE["title"]
    assert rows[99]["body"] == HOSTILE["body"]
    assert rows[99]["tags"] == "a,b | ' | \""
    assert rows[1]["published_at"] == "2024-06-20T23:59:00+03:30"


def test_csv_with_bom_for_spreadsheets(filled: str, tmp_path: Path) -> None:
    _export(filled, tmp_path, "--format", "csv", "--csv-bom")
    assert (tmp_path / "articles.csv").read_bytes().startswith(b"\xef\xbb\xbfnews_code,")


def test_parquet_round_trip_with_typed_schema(filled: str, tmp_path: Path) -> None:
    _export(filled, tmp_path, "--format", "parquet")
    table = pq.read_table(tmp_path / "articles.parquet")
    schema = table.schema
    assert schema.field("news_code").type == pa.int64()
    assert schema.field("published_at").type == pa.timestamp("ms", tz="Asia/Tehran")
    assert schema.field("modified_at").type == pa.timestamp("ms", tz="Asia/Tehran")
    assert schema.field("tags").type == pa.list_(pa.string())
    assert schema.field("image_urls").type == pa.list_(pa.string())
    assert schema.field("title").type == pa.string()
    stored = _stored(filled)
    for row in table.to_pylist():
        expected = _record_fields(stored[row["news_code"]])
        published = row.pop("published_at")
        # Compare instants: PEP 495 makes == across zones False for an ambiguous local time.
        assert (
            published.timestamp()
            == datetime.fromisoformat(expected.pop("published_at")).timestamp()
        )
        assert published.isoformat() == stored[row["news_code"]]["published_at"]
        modified, stored_modified = row.pop("modified_at"), expected.pop("modified_at")
        if stored_modified is None:
            assert modified is None
        else:
            assert modified.timestamp() == datetime.fromisoformat(stored_modified).timestamp()
        assert row == expected
    modified = table.column("modified_at").to_pylist()
    assert sum(value is not None for value in modified) == 1


def test_modified_at_is_kept_exactly(filled: str, tmp_path: Path) -> None:
    assert _stored(filled)[3]["modified_at"] == MODIFIED[3]
    _export(filled, tmp_path, "--format", "csv")
    text = (tmp_path / "articles.csv").read_text("utf-8")
    assert text.splitlines()[0].endswith(
        ",language,modified_at,archive_record,withdrawn_at"
    )  # appended, in order
    rows = {int(row["news_code"]): row for row in csv.DictReader(io.StringIO(text))}
    assert rows[3]["modified_at"] == MODIFIED[3]
    assert rows[1]["modified_at"] == ""


def test_undated_rows_are_in_a_whole_export_not_in_a_day_selection(
    filled: str, tmp_path: Path
) -> None:
    undated = record(7, published_at=None, published_at_jalali=None, published_at_raw="دیروز")
    with open_store(filled) as store:
        store.write([undated])
    _export(filled, tmp_path / "all", "--format", "parquet")
    table = pq.read_table(tmp_path / "all" / "articles.parquet")
    rows = {row["news_code"]: row for row in table.to_pylist()}
    assert rows[7]["published_at"] is None and rows[7]["published_at_raw"] == "دیروز"
    assert "(1 rows without a readable date)" in (tmp_path / "all" / "README.md").read_text()
    _export(filled, tmp_path / "june", "--format", "jsonl", "--from", "2024-06-01")
    lines = (tmp_path / "june" / "articles.jsonl").read_text("utf-8").splitlines()
    assert 7 not in {json.loads(line)["news_code"] for line in lines}


@pytest.mark.parametrize(
    ("since", "until", "codes"),
    [
        ("1403-04-01", "1403-04-31", {2}),  # Jalali month Tir 1403
        ("1403-03-01", "1403-03-31", {1, 5, 6}),  # Jalali month Khordad 1403
        ("2024-06-01", "2024-06-30", {1, 2, 6}),  # Gregorian June 2024
        ("2024-05-01", "2024-05-31", {5}),
        ("1401-06-30", "1401-06-30", {3}),  # the day summer time ended
        ("1401-06-31", "1401-06-31", {4}),
        ("۱۴۰۱/۰۶/۳۰", "2022-09-22", {3, 4}),  # Persian digits and mixed calendars
    ],
)
def test_date_filters_at_month_and_dst_edges(
    filled: str, tmp_path: Path, since: str, until: str, codes: set[int]
) -> None:
    _export(filled, tmp_path, "--format", "jsonl", "--from", since, "--to", until)
    lines = (tmp_path / "articles.jsonl").read_text("utf-8").splitlines()
    assert {json.loads(line)["news_code"] for line in lines} == codes


def test_service_filter_and_dataset_card(database_url: str, tmp_path: Path) -> None:
    with open_store(database_url) as store:
        store.write([record(1, service="قضایی"), record(2), record(3, service="قضایی")])
        store.write([record(2, tags=["تازه"], crawled_at="2026-02-01T00:00:00+00:00")])
    _export(database_url, tmp_path, "--format", "parquet", "--service", "قضایی")
    assert pq.read_table(tmp_path / "articles.parquet").num_rows == 2
    card = (tmp_path / "README.md").read_text("utf-8")
    assert "- rows: 2" in card
    assert "service قضایی" in card
    assert "| قضایی | 2 |" in card
    assert "| `published_at_raw` |" in card
    assert "2024-06-01T08:00:00+03:30 to 2024-06-01T08:00:00+03:30" in card
    assert "earlier versions of edited articles kept in the store: 1 " in card  # tags alone


def test_stats_command(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["stats", "--database-url", filled])
    out = capsys.readouterr().out
    assert "articles: 7 (0 without a readable date)" in out
    assert "published: 2022-09-21T23:30:00+04:30 to 2024-06-21T00:00:00+03:30" in out
    assert "  1403-04: 1" in out and "  1401-06: 2" in out
    assert "revisions kept: 0" in out


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mizan_crawler", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--format", "xml", "--out", "x"], "invalid choice: 'xml'"),
        (["export", "--format", "csv", "--out", "x", "--from", "1404-12-30"], "no such day"),
        (["export", "--format", "csv", "--out", "x", "--from", "yesterday"], "bad date"),
        (
            [
                "export",
                "--format",
                "csv",
                "--out",
                "x",
                "--from",
                "2024-02-01",
                "--to",
                "2024-01-01",
            ],
            "is after",
        ),
        (["stats", "--database-url", "postgresql://u:s3cret@127.0.0.1:1/x"], "cannot connect"),
        (["stats", "--database-url", "mysql://h/db"], "unsupported DATABASE_URL"),
    ],
)
def test_bad_input_gives_one_clear_line(args: list[str], message: str, tmp_path: Path) -> None:
    done = _cli(*args)
    assert done.returncode != 0
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    done = _cli(
        "export",
        "--format",
        "csv",
        "--out",
        str(target),
        "--database-url",
        f"sqlite:///{tmp_path / 's.sqlite'}",
    )
    assert done.returncode == 2
    assert "is a file" in done.stderr
    assert target.read_text() == "keep me"
