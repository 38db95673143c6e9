"""The embedded default store: one SQLite file, no server."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..search_text import Phrase, fts5_match
from .base import Store, StoreUnavailable
from .records import LIST_FIELDS
from .search import FTS_COLUMNS, FTS_WEIGHTS, RESULT_COLUMNS, and_where, fts_row

_RECORD_DDL = """
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT,
    published_at_jalali TEXT,
    published_at_raw TEXT,
    kind TEXT NOT NULL,
    crawled_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    uptitle TEXT,
    lead TEXT,
    service TEXT,
    category TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    image_urls TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL,
    language TEXT NOT NULL"""

MIGRATIONS = {
    1: [
        f"""CREATE TABLE articles (
    news_code INTEGER PRIMARY KEY,{_RECORD_DDL},
    published_epoch INTEGER,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL)""",
        "CREATE INDEX articles_published ON articles (published_epoch)",
        "CREATE INDEX articles_service ON articles (service)",
        f"""CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    news_code INTEGER NOT NULL,{_RECORD_DDL},
    revised_at TEXT NOT NULL)""",
        "CREATE INDEX article_revisions_code ON article_revisions (news_code)",
    ],
    2: [
        "ALTER TABLE articles ADD COLUMN record_hash TEXT",
        "ALTER TABLE article_revisions ADD COLUMN record_hash TEXT",
        "CREATE INDEX article_revisions_record ON article_revisions (news_code, record_hash)",
        """CREATE TABLE coverage (
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,
    first_value INTEGER NOT NULL,
    last_value INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (run_id, source))""",
        """CREATE TABLE short_links (
    path TEXT PRIMARY KEY,
    news_code INTEGER NOT NULL,
    seen_at TEXT NOT NULL)""",
    ],
    # The record's ``modified_at``, appended to both tables.
    3: [
        "ALTER TABLE articles ADD COLUMN modified_at TEXT",
        "ALTER TABLE article_revisions ADD COLUMN modified_at TEXT",
    ],
    # Where each version's page lies in the web archive.
    4: [
        "ALTER TABLE articles ADD COLUMN archive_record TEXT",
        "ALTER TABLE article_revisions ADD COLUMN archive_record TEXT",
    ],
    # Withdrawn articles and the sitemap entries backfills read (see store/observations.py).
    # ``withdrawn_at`` is a record field, so both tables carry it; a revision's is always null
    # (a returning article is restored before its old version is archived).
    5: [
        "ALTER TABLE articles ADD COLUMN withdrawn_at TEXT",
        "ALTER TABLE article_revisions ADD COLUMN withdrawn_at TEXT",
        "CREATE INDEX articles_withdrawn ON articles (withdrawn_at)",
        """CREATE TABLE withdrawals (
    news_code INTEGER NOT NULL,
    withdrawn_at TEXT NOT NULL,
    restored_at TEXT,
    PRIMARY KEY (news_code, withdrawn_at))""",
        """CREATE TABLE sitemap_entries (
    news_code INTEGER PRIMARY KEY,
    lastmod TEXT,
    publication_date TEXT,
    urlset TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    fetched_lastmod TEXT)""",
    ],
    # Full-text search (store/search.py): filled from the stored rows after the DDL.
    6: [
        f"CREATE VIRTUAL TABLE article_search USING fts5({', '.join(FTS_COLUMNS)}, "
        "tokenize = 'ascii')"
    ],
}
_FTS_NAMES = ", ".join(f":{name}" for name in FTS_COLUMNS)
INDEX_ARTICLE = [
    "DELETE FROM article_search WHERE rowid = :news_code",
    f"INSERT INTO article_search (rowid, {', '.join(FTS_COLUMNS)}) VALUES (:news_code, {_FTS_NAMES})",
]
_BM25 = f"bm25(article_search, {', '.join(map(str, FTS_WEIGHTS))})"
STREAM_CHUNK = 500


class SQLiteStore(Store):
    """Lists are JSON text (SQLite's JSON functions read them); times are ISO 8601 text."""

    def _connect(self) -> sqlite3.Connection:
        path = self.url.path
        assert path is not None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=60, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")  # readers do not block the crawl
            # Each commit reaches the disk before the crawl counts its articles stored: NORMAL
            # survives a crash of the process, not of the machine or of the disk (a file system
            # remounted read-only after an error drops what was not yet synced). One sync per
            # batch costs nothing at the crawl's pace.
            connection.execute("PRAGMA synchronous=FULL")
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(
                f"cannot open SQLite store {path}: {self._why(error)}"
            ) from error
        connection.row_factory = sqlite3.Row
        return connection

    def _migrations(self) -> dict[int, list[str]]:
        return MIGRATIONS

    def _sql(self, statement: str) -> str:
        return statement

    def _begin_write(self, cursor: Any) -> None:
        if not self.connection.in_transaction:
            cursor.execute("BEGIN IMMEDIATE")  # take the write lock now, not at the first write

    def _lock_schema(self, cursor: Any) -> None:
        """BEGIN IMMEDIATE already holds the database's write lock."""

    def _to_db(self, row: dict[str, Any]) -> dict[str, Any]:
        converted = dict(row)
        for name in LIST_FIELDS:
            converted[name] = json.dumps(row[name], ensure_ascii=False)
        return converted

    def _from_db(self, row: Any) -> dict[str, Any]:
        record = dict(row)
        for name in LIST_FIELDS:
            if name in record:
                record[name] = json.loads(record[name])
        return record

    def _stream(self, statement: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        cursor = self.connection.execute(statement, params)
        while chunk := cursor.fetchmany(STREAM_CHUNK):
            yield from chunk

    def _index(self, cursor: Any, row: dict[str, Any]) -> None:
        values = fts_row(row)
        for statement in INDEX_ARTICLE:
            cursor.execute(statement, values)

    def _search_sql(self, where: list[str]) -> str:
        return (
            f"SELECT {RESULT_COLUMNS} FROM article_search "
            "JOIN articles ON articles.news_code = article_search.rowid "
            f"WHERE article_search MATCH :match{and_where(where)} "
            f"ORDER BY {_BM25}, published_epoch DESC, news_code DESC LIMIT :limit"
        )

    def _search_params(self, phrases: list[Phrase]) -> dict[str, Any]:
        return {"match": fts5_match(phrases)}

    def _why(self, error: Exception) -> str:
        """SQLite's own words ("unable to open database file") do not say that the disk is at
        fault; the file system's state does."""
        problem = disk_problem(self.url.path.parent) if self.url.path else None
        return f"{error} ({problem})" if problem else str(error)

    def _is_outage(self, error: Exception) -> bool:
        return isinstance(error, sqlite3.OperationalError | OSError)


def disk_problem(folder: Path) -> str | None:
    """Why files in ``folder`` cannot be written, if the file system tells: a file created there
    (a disk the kernel remounted read-only after an error still shows as mounted read-write), and
    the free space."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{folder} cannot be written: {error.strerror or error}"
    try:
        full = os.statvfs(folder).f_bavail == 0
    except OSError:
        return None
    return f"the disk holding {folder} is full" if full else None
