"""The store: one row per news code, the history of edited articles, written in batches.

The SQL is written once, with ``:name`` parameters; each database module supplies its
connection, column types and how values cross the boundary (lists, timestamps).
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..redaction import redact_text
from ..search_text import Phrase, parse_query
from . import observations as obs
from .observations import FetchBasis, Observations
from .records import RECORD_COLUMNS, STORE_OBSERVED, record_hash, to_row
from .search import SearchHit, hit
from .urls import StoreURL

SCHEMA_VERSION = 6  # the newest of the stores' MIGRATIONS
SEARCH_VERSION = 6  # the migration that creates the full-text index, filled from the rows
LOOKUP_CHUNK = 500  # news codes per IN (...) query
# A transaction the database aborted to break a deadlock or a serialization conflict with another
# writer is written again this many times in all; each try waits a little longer (seconds).
CONFLICT_ATTEMPTS = 5
CONFLICT_PAUSE = 0.05
_FIELDS = RECORD_COLUMNS[1:]  # all but news_code
_PAGE_FIELDS = tuple(name for name in _FIELDS if name not in STORE_OBSERVED)  # what a page says
_COLUMNS = ", ".join(RECORD_COLUMNS)


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f":{name}" for name in columns)


INSERT_ARTICLE = (
    f"INSERT INTO articles ({_COLUMNS}, record_hash, published_epoch, first_seen_at, last_seen_at) "
    f"VALUES ({_names(RECORD_COLUMNS)}, :record_hash, :published_epoch, :now, :now) "
    "ON CONFLICT (news_code) DO NOTHING RETURNING news_code"
)
SELECT_STORED = f"SELECT {_COLUMNS}, record_hash FROM articles WHERE news_code = :news_code"
REVISION_KEPT = (
    "SELECT 1 FROM article_revisions WHERE news_code = :news_code AND record_hash = :record_hash"
)
ARCHIVE_CURRENT = (
    f"INSERT INTO article_revisions ({_COLUMNS}, record_hash, revised_at) "
    f"SELECT {_COLUMNS}, :stored_hash, :now FROM articles WHERE news_code = :news_code"
)
ARCHIVE_GIVEN = (
    f"INSERT INTO article_revisions ({_COLUMNS}, record_hash, revised_at) "
    f"VALUES ({_names(RECORD_COLUMNS)}, :record_hash, :now)"
)
UPDATE_ARTICLE = (
    "UPDATE articles SET "
    + ", ".join(f"{name} = :{name}" for name in _PAGE_FIELDS)
    + ", record_hash = :record_hash, published_epoch = :published_epoch, last_seen_at = :now "
    "WHERE news_code = :news_code"
)
TOUCH_ARTICLE = "UPDATE articles SET last_seen_at = :now WHERE news_code = :news_code"
# A run's mark only ever widens: a later write of the same run and source extends the span.
UPSERT_COVERAGE = (
    "INSERT INTO coverage (run_id, source, first_value, last_value, recorded_at) "
    "VALUES (:run_id, :source, :first_value, :last_value, :now) "
    "ON CONFLICT (run_id, source) DO UPDATE SET "
    "first_value = CASE WHEN excluded.first_value < coverage.first_value "
    "THEN excluded.first_value ELSE coverage.first_value END, "
    "last_value = CASE WHEN excluded.last_value > coverage.last_value "
    "THEN excluded.last_value ELSE coverage.last_value END, "
    "recorded_at = excluded.recorded_at"
)
UPSERT_SHORT_LINK = (
    "INSERT INTO short_links (path, news_code, seen_at) VALUES (:path, :news_code, :now) "
    "ON CONFLICT (path) DO UPDATE SET news_code = excluded.news_code, seen_at = excluded.seen_at"
)


@dataclass(frozen=True)
class CoverageMark:
    """One entry of the coverage ledger: what one run read of one source, as a closed span.

    ``source`` is ``news`` (a stretch of the site's timeline the listing walk read, epoch
    seconds), ``news_goal`` (how far back scheduled runs must have read, epoch seconds, in
    ``first``), ``backfill`` (a range of publication instants a backfill completed, epoch
    seconds) or ``codes`` (a news-code range a backfill completed).
    """

    run_id: str
    source: str
    first: int
    last: int
    recorded_at: str | None = None

    def widened(self, other: CoverageMark) -> CoverageMark:
        """This span and ``other`` (same run and source) as one."""
        return CoverageMark(
            self.run_id, self.source, min(self.first, other.first), max(self.last, other.last)
        )


@dataclass(frozen=True)
class Filters:
    """Which rows an export or a summary covers: publication instants (inclusive) and service."""

    since_epoch: int | None = None
    until_epoch: int | None = None
    service: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """A ``WHERE`` clause (or ``""``) and its parameters."""
        clauses, params = self.conditions()
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def conditions(self) -> tuple[list[str], dict[str, Any]]:
        """The conditions on ``articles`` columns, to be joined with ``AND``, and their parameters."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.since_epoch is not None:
            clauses.append("published_epoch >= :since_epoch")
            params["since_epoch"] = self.since_epoch
        if self.until_epoch is not None:
            clauses.append("published_epoch <= :until_epoch")
            params["until_epoch"] = self.until_epoch
        if self.service is not None:
            clauses.append("service = :service")
            params["service"] = self.service
        return clauses, params


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or written now; the message never holds a password."""


class Store(ABC):
    """Base class of the SQLite and PostgreSQL stores."""

    lock_suffix = ""  # "FOR UPDATE" where the database locks single rows

    def __init__(self, url: StoreURL, timeout: float | None = None) -> None:
        self.url = url
        # Seconds a database may leave a connection, a statement or a write unanswered before
        # it counts as unavailable; None: the driver's defaults (a reader of the store waits).
        self.timeout = timeout
        self.connection: Any = None
        self.conflicts = 0  # transactions written again after a conflict with another writer

    # What each database supplies -------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any:
        """A new DB-API connection; raise ``StoreUnavailable`` when there is none to be had."""

    @abstractmethod
    def _migrations(self) -> dict[int, list[str]]:
        """DDL statements per schema version."""

    @abstractmethod
    def _sql(self, statement: str) -> str:
        """``statement`` in the driver's parameter style."""

    @abstractmethod
    def _begin_write(self, cursor: Any) -> None:
        """Start a write transaction."""

    @abstractmethod
    def _to_db(self, row: dict[str, Any]) -> dict[str, Any]:
        """Row values as the driver takes them."""

    @abstractmethod
    def _from_db(self, row: dict[str, Any]) -> dict[str, Any]:
        """Row values as records hold them."""

    @abstractmethod
    def _stream(self, statement: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Rows of a query, fetched in chunks rather than all at once."""

    @abstractmethod
    def _is_outage(self, error: Exception) -> bool:
        """Whether ``error`` means the database is unreachable or unwritable (worth spooling)."""

    @abstractmethod
    def _index(self, cursor: Any, row: dict[str, Any]) -> None:
        """Make the full-text index hold the row's current title, lead and body."""

    @abstractmethod
    def _search_sql(self, where: list[str]) -> str:
        """A query of matching articles, best first then newest, with ``:limit`` and ``where``'s
        conditions (on ``articles`` columns)."""

    @abstractmethod
    def _search_params(self, phrases: list[Phrase]) -> dict[str, Any]:
        """The parameters the query of ``_search_sql`` needs for ``phrases``."""

    def _is_conflict(self, error: Exception) -> bool:
        """Whether ``error`` is the database aborting this transaction for another one's sake
        (a deadlock, a serialization failure): worth writing again at once, not an outage."""
        return False

    def _deadline(self) -> AbstractContextManager[object]:
        """Bound the time the database may take to answer inside the block (``timeout``)."""
        return nullcontext()

    def _why(self, error: Exception) -> str:
        """What went wrong, for the operator (a store may add what it knows of the cause)."""
        return str(error)

    def _unavailable(self, error: Exception) -> StoreUnavailable:
        why = redact_text(self._why(error), self.url.secrets)  # a driver may echo the address
        return StoreUnavailable(f"store {self.url.redacted} unavailable: {why}")

    # Lifecycle -----------------------------------------------------------------------------

    def open(self) -> Store:
        """Connect and bring the schema to the current version."""
        self.connection = self._connect()
        try:
            with self._deadline():
                self._migrate()
        except Exception as error:
            self.close()
            if self._is_outage(error):
                raise self._unavailable(error) from error
            raise
        return self

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, cursor: Any, statement: str, params: dict[str, Any] | None = None) -> Any:
        cursor.execute(self._sql(statement), params or {})
        return cursor

    def _migrate(self) -> None:
        cursor = self.connection.cursor()
        self._begin_write(cursor)
        try:
            self._lock_schema(cursor)
            self._execute(
                cursor, "CREATE TABLE IF NOT EXISTS mizan_schema (version INTEGER NOT NULL)"
            )
            found = self._execute(cursor, "SELECT MAX(version) FROM mizan_schema").fetchone()[0]
            current = found or 0
            for version in sorted(v for v in self._migrations() if v > current):
                for statement in self._migrations()[version]:
                    self._execute(cursor, statement)
                self._after_migration(cursor, version)
                self._execute(
                    cursor, "INSERT INTO mizan_schema (version) VALUES (:v)", {"v": version}
                )
            self.connection.commit()
        except Exception:
            self.connection.rollback()
            raise

    @abstractmethod
    def _lock_schema(self, cursor: Any) -> None:
        """Keep two processes from migrating at once."""

    def _after_migration(self, cursor: Any, version: int) -> None:
        """What a migration needs Python for, in its transaction: the search index is filled
        from the rows already stored (normalised in Python, which SQL cannot call)."""
        if version == SEARCH_VERSION:
            self._reindex(cursor)

    def _reindex(self, cursor: Any) -> None:
        last = -1
        statement = (
            "SELECT news_code, title, lead, body FROM articles WHERE news_code > :last "
            f"ORDER BY news_code LIMIT {LOOKUP_CHUNK}"
        )
        while rows := self._execute(cursor, statement, {"last": last}).fetchall():
            for news_code, title, lead, body in rows:
                self._index(
                    cursor, {"news_code": news_code, "title": title, "lead": lead, "body": body}
                )
            last = rows[-1][0]

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the store."""
        cursor = self.connection.cursor()
        value = self._execute(cursor, "SELECT MAX(version) FROM mizan_schema").fetchone()[0]
        self.connection.commit()
        return int(value or 0)

    # Writing ---------------------------------------------------------------------------------

    def write(
        self,
        records: Sequence[dict[str, Any]],
        coverage: Iterable[CoverageMark] = (),
        short_links: Mapping[str, int] | None = None,
        observed: Observations | None = None,
    ) -> Counter[str]:
        """Upsert ``records`` in one transaction; count them as new, updated, unchanged, older.

        ``older``: a record crawled before the stored version that differs from it (for example
        a spooled item written late); it is kept as a revision and does not replace the row.
        ``coverage`` marks, resolved ``short_links`` (path: news code) and what the run
        ``observed`` (sitemap entries, withdrawals) are written in the same transaction, so the
        ledger never vouches for articles the store does not hold. A transaction aborted by a
        conflict with another writer is written again (``conflicts``).
        """
        marks = list(coverage)
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                with self._deadline():
                    return self._transaction(
                        records, marks, short_links or {}, observed or Observations()
                    )
            except Exception as error:
                if self._is_conflict(error) and attempt < CONFLICT_ATTEMPTS:
                    self.conflicts += 1
                    time.sleep(CONFLICT_PAUSE * attempt)  # the other writer finishes meanwhile
                    continue
                if self._is_outage(error):
                    raise self._unavailable(error) from error
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _transaction(
        self,
        records: Sequence[dict[str, Any]],
        coverage: Sequence[CoverageMark],
        short_links: Mapping[str, int],
        observed: Observations,
    ) -> Counter[str]:
        """One write transaction, rolled back on any error."""
        outcome: Counter[str] = Counter()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        cursor = self.connection.cursor()
        try:
            self._begin_write(cursor)
            self._write_sitemap_entries(cursor, observed)
            # In news-code order: two writers locking overlapping rows take them in one order,
            # so they wait for each other instead of deadlocking.
            for record in sorted(records, key=lambda record: record.get("news_code") or 0):
                outcome[self._write_one(cursor, self._to_db({**to_row(record), "now": now}))] += 1
            self._write_withdrawals(cursor, observed)
            for mark in coverage:
                self._execute(cursor, UPSERT_COVERAGE, _coverage_params(mark, now))
            for path, code in short_links.items():
                params = {"path": path, "news_code": code, "now": now}
                self._execute(cursor, UPSERT_SHORT_LINK, params)
            self.connection.commit()
        except Exception:
            self._rollback_quietly()
            raise
        return outcome

    def _write_one(self, cursor: Any, row: dict[str, Any]) -> str:
        """Whole-record change detection: any field but ``crawled_at`` that differs makes the
        stored version a revision; a version already kept is never kept twice (a spool replayed
        again, a batch retried after a commit whose outcome was unknown)."""
        outcome = self._upsert(cursor, row)
        self._execute(cursor, obs.MARK_FETCHED, row)
        return outcome

    def _upsert(self, cursor: Any, row: dict[str, Any]) -> str:
        if self._execute(cursor, INSERT_ARTICLE, row).fetchone() is not None:
            self._index(cursor, row)
            return "new"
        stored_row = self._execute(cursor, f"{SELECT_STORED} {self.lock_suffix}", row).fetchone()
        stored = self._from_db(dict(zip((*RECORD_COLUMNS, "record_hash"), stored_row, strict=True)))
        self._restore_if_back(cursor, row, stored)
        stored_hash = stored["record_hash"] or record_hash(stored)  # rows from before version 2
        if stored_hash == row["record_hash"]:
            self._execute(cursor, TOUCH_ARTICLE, row)
            return "unchanged"
        if _instant(row["crawled_at"]) < _instant(stored["crawled_at"]):
            if self._revision_kept(cursor, row["news_code"], row["record_hash"]):
                return "unchanged"
            self._execute(cursor, ARCHIVE_GIVEN, row)
            return "older"
        if not self._revision_kept(cursor, row["news_code"], stored_hash):
            self._execute(cursor, ARCHIVE_CURRENT, {**row, "stored_hash": stored_hash})
        self._execute(cursor, UPDATE_ARTICLE, row)
        self._index(cursor, row)
        return "updated"

    def _restore_if_back(self, cursor: Any, row: dict[str, Any], stored: dict[str, Any]) -> None:
        """A withdrawn article fetched again after it was found gone is back: ``withdrawn_at``
        is cleared and the return recorded with the withdrawal."""
        gone = stored.get("withdrawn_at")
        if gone is None or _instant(row["crawled_at"]) <= _instant(gone):
            return
        params = {"news_code": row["news_code"], "at": row["crawled_at"]}
        self._execute(cursor, obs.RESTORE_ARTICLE, params)
        self._execute(cursor, obs.RECORD_RESTORATION, params)

    def _write_sitemap_entries(self, cursor: Any, observed: Observations) -> None:
        entries = [entry.params() for _, entry in sorted(observed.sitemap_entries.items())]
        if entries:
            cursor.executemany(self._sql(obs.UPSERT_SITEMAP_ENTRY), entries)

    def _write_withdrawals(self, cursor: Any, observed: Observations) -> None:
        """Stored articles found gone: ``withdrawn_at`` set (if not already) and the withdrawal
        recorded; a code the store does not hold is nothing to withdraw."""
        for code, moment in sorted(observed.gone.items()):
            params = {"news_code": code, "at": moment}
            if self._execute(cursor, obs.MARK_WITHDRAWN, params).fetchone() is not None:
                self._execute(cursor, obs.RECORD_WITHDRAWAL, params)

    def _revision_kept(self, cursor: Any, news_code: int, fingerprint: str) -> bool:
        params = {"news_code": news_code, "record_hash": fingerprint}
        return self._execute(cursor, REVISION_KEPT, params).fetchone() is not None

    def _rollback_quietly(self) -> None:
        try:
            self.connection.rollback()
        except Exception:  # the connection may be gone; the original error is what matters
            self.close()

    # Reading ---------------------------------------------------------------------------------

    def known_codes(self) -> set[int]:
        """Every stored news code."""
        cursor = self._execute(self.connection.cursor(), "SELECT news_code FROM articles")
        codes = {int(row[0]) for row in cursor.fetchall()}
        self.connection.commit()
        return codes

    def coverage(self) -> list[CoverageMark]:
        """The whole coverage ledger, oldest record first."""
        statement = (
            "SELECT run_id, source, first_value, last_value, recorded_at FROM coverage "
            "ORDER BY recorded_at, run_id, source"
        )
        marks = [
            CoverageMark(
                str(row["run_id"]),
                str(row["source"]),
                int(row["first_value"]),
                int(row["last_value"]),
                str(self._from_db({"recorded_at": row["recorded_at"]})["recorded_at"]),
            )
            for row in self._stream(statement, {})
        ]
        return marks

    def short_links(self) -> dict[str, int]:
        """Every short link seen resolved: its path and the news code it leads to."""
        rows = self._stream("SELECT path, news_code FROM short_links", {})
        return {str(row["path"]): int(row["news_code"]) for row in rows}

    def published_epochs(self, codes: Iterable[int]) -> dict[int, int | None]:
        """Publication instants (epoch seconds) of the given stored news codes."""
        wanted = sorted(set(codes))
        found: dict[int, int | None] = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            params = {f"c{i}": code for i, code in enumerate(chunk)}
            names = ", ".join(f":{name}" for name in params)
            statement = (
                f"SELECT news_code, published_epoch FROM articles WHERE news_code IN ({names})"
            )
            cursor = self._execute(self.connection.cursor(), statement, params)
            found.update({int(code): epoch for code, epoch in cursor.fetchall()})
        self.connection.commit()
        return found

    def newest_epoch(self, until_epoch: int | None = None) -> int | None:
        """The latest stored publication instant, ignoring any after ``until_epoch`` (a date
        from the future is a typo of the site, not a point to count from)."""
        statement = "SELECT MAX(published_epoch) FROM articles"
        params: dict[str, Any] = {}
        if until_epoch is not None:
            statement += " WHERE published_epoch <= :until_epoch"
            params["until_epoch"] = until_epoch
        value = self._execute(self.connection.cursor(), statement, params).fetchone()[0]
        self.connection.commit()
        return None if value is None else int(value)

    def newest_published_at(self) -> str | None:
        """The latest stored publication time (ISO 8601, Iran offset), or ``None`` when empty."""
        rows = list(self.iter_articles(order="published_epoch DESC", limit=1))
        return rows[0]["published_at"] if rows else None

    def iter_articles(
        self,
        filters: Filters | None = None,
        order: str = "published_epoch, news_code",
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stored records (with ``first_seen_at``/``last_seen_at``), streamed."""
        where, params = (filters or Filters()).where()
        if order.startswith("published_epoch DESC"):
            where += (" AND" if where else " WHERE") + " published_epoch IS NOT NULL"
        statement = (
            f"SELECT {_COLUMNS}, first_seen_at, last_seen_at FROM articles{where} ORDER BY {order}"
        )
        if limit is not None:
            statement += f" LIMIT {int(limit)}"
        for row in self._stream(statement, params):
            yield self._from_db(row)

    def search(
        self, query: str, filters: Filters | None = None, limit: int = 20
    ) -> list[SearchHit]:
        """Current versions of the articles whose title, lead or body match ``query`` (see
        ``search_text``), best match first, then newest; ``SearchQueryError`` if it has no word."""
        phrases = parse_query(query)
        where, params = (filters or Filters()).conditions()
        params.update(self._search_params(phrases), limit=int(limit))
        rows = self._stream(self._search_sql(where), params)
        return [hit(self._from_db(row), phrases) for row in rows]

    def sitemap_entries(self) -> Iterator[dict[str, Any]]:
        """Every sitemap entry backfills read (see ``observations.py``), by news code, streamed."""
        for row in self._stream(obs.SELECT_SITEMAP_ENTRIES, {}):
            yield self._from_db(row)

    def listing(self) -> Iterator[dict[str, Any]]:
        """Every stored article and every sitemap entry, one row per news code in rising order,
        streamed: ``stored`` (1 or 0), the article's ``published_epoch`` and ``withdrawn_at``
        (null when not stored), and the entry's ``urlset``, ``lastmod`` and ``publication_date``
        (``urlset`` null when no urlset a backfill read listed the code)."""
        for row in self._stream(obs.SELECT_LISTING, {}):
            yield self._from_db(row)

    def withdrawals(self) -> Iterator[dict[str, Any]]:
        """Every withdrawal found, with when the article came back (``restored_at``, or null)."""
        for row in self._stream(obs.SELECT_WITHDRAWALS, {}):
            yield self._from_db(row)

    def withdrawn_codes(self) -> set[int]:
        """The stored articles the site does not serve now (``withdrawn_at`` set)."""
        rows = self._stream("SELECT news_code FROM articles WHERE withdrawn_at IS NOT NULL", {})
        return {int(row["news_code"]) for row in rows}

    def codes_published_between(self, first_epoch: int, last_epoch: int) -> set[int]:
        """Stored news codes published in ``[first_epoch, last_epoch]`` (epoch seconds)."""
        statement = (
            "SELECT news_code FROM articles WHERE published_epoch >= :first AND "
            "published_epoch <= :last"
        )
        rows = self._stream(statement, {"first": first_epoch, "last": last_epoch})
        return {int(row["news_code"]) for row in rows}

    def fetch_basis(self, codes: Iterable[int]) -> dict[int, FetchBasis]:
        """For the given stored codes: the listed ``lastmod`` their stored version includes and
        when they were last fetched (what ``refresh=changed`` decides by)."""
        wanted, found = sorted(set(codes)), {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            params = {f"c{i}": code for i, code in enumerate(wanted[start : start + LOOKUP_CHUNK])}
            statement = (
                "SELECT a.news_code, s.fetched_lastmod, a.last_seen_at "
                "FROM articles a LEFT JOIN sitemap_entries s ON s.news_code = a.news_code "
                f"WHERE a.news_code IN ({_names(list(params))})"
            )
            for row in self._stream(statement, params):
                values = self._from_db(row)
                found[int(values["news_code"])] = FetchBasis(
                    _moment(values["fetched_lastmod"]),
                    _moment(values["last_seen_at"]),
                )
        return found

    def withdrawal_counts(self) -> tuple[int, int]:
        """How many withdrawals were found, and how many of those articles came back since."""
        cursor = self._execute(
            self.connection.cursor(), "SELECT COUNT(*), COUNT(restored_at) FROM withdrawals"
        )
        total, restored = cursor.fetchone()
        self.connection.commit()
        return int(total), int(restored)

    def count_revisions(self) -> int:
        """How many earlier versions are kept."""
        cursor = self._execute(self.connection.cursor(), "SELECT COUNT(*) FROM article_revisions")
        value = cursor.fetchone()[0]
        self.connection.commit()
        return int(value)

    def iter_revisions(self, news_code: int) -> Iterator[dict[str, Any]]:
        """Earlier versions of one article, oldest first (by when they were crawled)."""
        statement = (
            f"SELECT {_COLUMNS}, record_hash, revised_at FROM article_revisions "
            "WHERE news_code = :news_code ORDER BY crawled_at, id"
        )
        for row in self._stream(statement, {"news_code": news_code}):
            yield self._from_db(row)

    def article(self, news_code: int) -> dict[str, Any] | None:
        """The stored (current) version of one article, or ``None`` when it is not stored."""
        statement = (
            f"SELECT {_COLUMNS}, record_hash, first_seen_at, last_seen_at FROM articles "
            "WHERE news_code = :news_code"
        )
        rows = [self._from_db(row) for row in self._stream(statement, {"news_code": news_code})]
        return rows[0] if rows else None

    def iter_versions(self, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
        """Every kept version of the selected articles (the selection by the stored version's
        publication and service), streamed: per news code in rising order, the earlier versions
        oldest crawl first, then the stored one; each row has ``is_current``."""
        where, params = (filters or Filters()).where()
        statement = (
            f"SELECT {_COLUMNS}, 0 AS is_current, id AS revision_id FROM article_revisions "
            f"WHERE news_code IN (SELECT news_code FROM articles{where}) "
            f"UNION ALL SELECT {_COLUMNS}, 1 AS is_current, 0 AS revision_id FROM articles{where} "
            "ORDER BY news_code, is_current, crawled_at, revision_id"
        )
        for row in self._stream(statement, params):
            record = self._from_db(row)
            record["is_current"] = bool(record["is_current"])
            del record["revision_id"]
            yield record


def _coverage_params(mark: CoverageMark, now: str) -> dict[str, Any]:
    return {
        "run_id": mark.run_id,
        "source": mark.source,
        "first_value": mark.first,
        "last_value": mark.last,
        "now": now,
    }


def _instant(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _moment(value: str | datetime | None) -> datetime | None:
    return None if value is None else _instant(value)


_PARAM = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


def pyformat(statement: str) -> str:
    """``:name`` parameters as ``%(name)s`` (psycopg's style)."""
    return _PARAM.sub(r"%(\1)s", statement)
