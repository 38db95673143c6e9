"""The PostgreSQL store: for teams, scheduled crawls and many workers writing at once."""

from __future__ import annotations

import math
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from ..redaction import redact_text
from ..search_text import Phrase, tsquery, tsvector
from .base import Store, StoreUnavailable, pyformat
from .search import RESULT_COLUMNS, and_where

TEHRAN = ZoneInfo("Asia/Tehran")
_RECORD_DDL = """
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TIMESTAMPTZ,
    published_at_jalali TEXT,
    published_at_raw TEXT,
    kind TEXT NOT NULL,
    crawled_at TIMESTAMPTZ NOT NULL,
    content_hash TEXT NOT NULL,
    uptitle TEXT,
    lead TEXT,
    service TEXT,
    category TEXT,
    tags TEXT[] NOT NULL DEFAULT '{}',
    image_urls TEXT[] NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    language TEXT NOT NULL"""

MIGRATIONS = {
    1: [
        f"""CREATE TABLE articles (
    news_code BIGINT PRIMARY KEY,{_RECORD_DDL},
    published_epoch BIGINT,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL)""",
        "CREATE INDEX articles_published ON articles (published_epoch)",
        "CREATE INDEX articles_service ON articles (service)",
        f"""CREATE TABLE article_revisions (
    id BIGSERIAL PRIMARY KEY,
    news_code BIGINT NOT NULL,{_RECORD_DDL},
    revised_at TIMESTAMPTZ NOT NULL)""",
        "CREATE INDEX article_revisions_code ON article_revisions (news_code)",
    ],
    2: [
        "ALTER TABLE articles ADD COLUMN record_hash TEXT",
        "ALTER TABLE article_revisions ADD COLUMN record_hash TEXT",
        "CREATE INDEX article_revisions_record ON article_revisions (news_code, record_hash)",
        """CREATE TABLE coverage (
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,
    first_value BIGINT NOT NULL,
    last_value BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, source))""",
        """CREATE TABLE short_links (
    path TEXT PRIMARY KEY,
    news_code BIGINT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL)""",
    ],
    # The record's ``modified_at``, appended to both tables.
    3: [
        "ALTER TABLE articles ADD COLUMN modified_at TIMESTAMPTZ",
        "ALTER TABLE article_revisions ADD COLUMN modified_at TIMESTAMPTZ",
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
        "ALTER TABLE articles ADD COLUMN withdrawn_at TIMESTAMPTZ",
        "ALTER TABLE article_revisions ADD COLUMN withdrawn_at TIMESTAMPTZ",
        "CREATE INDEX articles_withdrawn ON articles (withdrawn_at)",
        """CREATE TABLE withdrawals (
    news_code BIGINT NOT NULL,
    withdrawn_at TIMESTAMPTZ NOT NULL,
    restored_at TIMESTAMPTZ,
    PRIMARY KEY (news_code, withdrawn_at))""",
        """CREATE TABLE sitemap_entries (
    news_code BIGINT PRIMARY KEY,
    lastmod TIMESTAMPTZ,
    publication_date TIMESTAMPTZ,
    urlset TEXT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    fetched_lastmod TIMESTAMPTZ)""",
    ],
    # Full-text search (store/search.py): filled from the stored rows after the DDL.
    6: [
        "ALTER TABLE articles ADD COLUMN search_vector TSVECTOR",
        "CREATE INDEX articles_search ON articles USING GIN (search_vector)",
    ],
}
INDEX_ARTICLE = (
    "UPDATE articles SET search_vector = CAST(:search_vector AS tsvector) "
    "WHERE news_code = :news_code"
)
# Title A, lead B, body D (ts_rank's weights 1.0, 0.4 and 0.1).
_WEIGHTS = (("title", "A"), ("lead", "B"), ("body", "D"))
# Any number fits: an arbitrary constant naming "this project's schema migration" lock.
MIGRATION_LOCK = 0x6D697A616E
STREAM_CHUNK = 500
_cursor_names = count()
# Times read back in Iran time (the site's) and in UTC (the crawler's).
SITE_TIMES = ("published_at", "modified_at", "lastmod", "publication_date", "fetched_lastmod")
CRAWL_TIMES = (
    "crawled_at",
    "first_seen_at",
    "last_seen_at",
    "revised_at",
    "recorded_at",
    "withdrawn_at",
    "restored_at",
    "seen_at",
)


def _iso(value: Any, zone: ZoneInfo | Any) -> Any:
    return value.astimezone(zone).isoformat() if isinstance(value, datetime) else value


class PostgresStore(Store):
    """Lists are ``text[]``; times are ``timestamptz`` (read back in Iran time / UTC).

    With a ``timeout``, a server that stops answering costs at most that long: libpq gives up
    connecting after it, TCP keepalives and ``tcp_user_timeout`` fail a connection whose peer
    vanished from the network, the server cancels a statement (and ends a session left idle in
    a transaction, releasing its row locks) after it, and a watchdog shuts the socket of a
    write or a migration that is still unanswered then. The watchdog is what catches a peer
    that still acknowledges every packet and never replies: a hung proxy or pooler, a frozen
    server process, which no TCP or server-side timeout notices.
    """

    lock_suffix = "FOR UPDATE"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watched: socket.socket | None = None  # a duplicate of the connection's socket
        self._watch_lock = threading.Lock()
        self._timed_out = False

    def _connect(self) -> psycopg.Connection:
        try:
            connection = psycopg.connect(self.url.url, **self._connection_limits())
        except psycopg.Error as error:
            # psycopg's messages span lines, and may echo the address or the password
            message = " ".join(redact_text(str(error), self.url.secrets).split())
            raise StoreUnavailable(f"cannot connect to {self.url.redacted}: {message}") from None
        if self.timeout is not None:
            with self._watch_lock:
                self._watched = socket.socket(fileno=os.dup(connection.fileno()))
        return connection

    def _connection_limits(self) -> dict[str, Any]:
        """libpq parameters bounding how long the server may stay silent (``timeout``)."""
        if self.timeout is None:
            return {"connect_timeout": 10}
        seconds = max(1, math.ceil(self.timeout))
        milliseconds = max(1, int(self.timeout * 1000))
        given = conninfo_to_dict(self.url.url).get("options") or ""
        server = (
            f"-c statement_timeout={milliseconds} "
            f"-c idle_in_transaction_session_timeout={milliseconds}"
        )
        return {
            "connect_timeout": max(2, seconds),  # libpq's smallest
            "keepalives": 1,
            "keepalives_idle": max(1, seconds // 3),  # idle + 3 probes end within the timeout
            "keepalives_interval": max(1, seconds // 6),
            "keepalives_count": 3,
            "tcp_user_timeout": milliseconds,
            "options": f"{given} {server}".strip(),
        }

    @contextmanager
    def _deadline(self) -> Iterator[None]:
        if self.timeout is None:
            yield
            return
        self._timed_out = False
        watchdog = threading.Timer(self.timeout, self._interrupt)
        watchdog.daemon = True
        watchdog.start()
        try:
            yield
        finally:
            watchdog.cancel()

    def _interrupt(self) -> None:
        """The watchdog's thread: wake the driver, blocked on a silent socket, with an error."""
        with self._watch_lock:
            if self._watched is not None:
                self._timed_out = True
                with suppress(OSError):
                    self._watched.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        try:
            super().close()
        finally:
            with self._watch_lock:
                if self._watched is not None:
                    self._watched.close()
                    self._watched = None

    def _why(self, error: Exception) -> str:
        if self._timed_out:
            return f"no answer within {self.timeout:g} s (MIZAN_STORE_TIMEOUT)"
        return str(error)

    def _migrations(self) -> dict[int, list[str]]:
        return MIGRATIONS

    def _sql(self, statement: str) -> str:
        return pyformat(statement)

    def _begin_write(self, cursor: Any) -> None:
        """psycopg opens a transaction at the first statement; nothing to do."""

    def _lock_schema(self, cursor: Any) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))

    def _to_db(self, row: dict[str, Any]) -> dict[str, Any]:
        return row

    def _from_db(self, row: Any) -> dict[str, Any]:
        record = dict(row)
        for name in SITE_TIMES:
            if name in record:
                record[name] = _iso(record[name], TEHRAN)
        for name in CRAWL_TIMES:
            if name in record:
                record[name] = _iso(record[name], UTC)
        return record

    def _stream(self, statement: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """A server-side cursor, so a large export never holds the whole table."""
        with (
            self.connection.transaction(),
            self.connection.cursor(
                name=f"mizan_stream_{next(_cursor_names)}", row_factory=dict_row
            ) as cursor,
        ):
            cursor.execute(pyformat(statement), params)
            while chunk := cursor.fetchmany(STREAM_CHUNK):
                yield from chunk

    def _index(self, cursor: Any, row: dict[str, Any]) -> None:
        vector = tsvector((row[field], weight) for field, weight in _WEIGHTS)
        params = {"search_vector": vector, "news_code": row["news_code"]}
        cursor.execute(pyformat(INDEX_ARTICLE), params)

    def _search_sql(self, where: list[str]) -> str:
        query = "CAST(:query AS tsquery)"
        return (
            f"SELECT {RESULT_COLUMNS} FROM articles WHERE search_vector @@ {query}"
            f"{and_where(where)} ORDER BY ts_rank(search_vector, {query}) DESC, "
            "published_epoch DESC NULLS LAST, news_code DESC LIMIT :limit"
        )

    def _search_params(self, phrases: list[Phrase]) -> dict[str, Any]:
        return {"query": tsquery(phrases)}

    def _is_conflict(self, error: Exception) -> bool:
        return isinstance(error, errors.DeadlockDetected | errors.SerializationFailure)

    def _is_outage(self, error: Exception) -> bool:
        # psycopg counts a conflict between transactions as an OperationalError too
        return isinstance(
            error, psycopg.OperationalError | psycopg.InterfaceError
        ) and not self._is_conflict(error)
