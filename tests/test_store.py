"""The stores, on a real SQLite file and the real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from mizan_crawler.store import (
    CoverageMark,
    Filters,
    StoreConfigError,
    StoreUnavailable,
    open_store,
    parse_database_url,
    redact,
)
from mizan_crawler.store import postgres as postgres_store
from mizan_crawler.store import sqlite as sqlite_store
from mizan_crawler.store.base import SCHEMA_VERSION
from mizan_crawler.store.observations import Observations, SitemapEntry
from mizan_crawler.store.postgres import PostgresStore
from mizan_crawler.store.sqlite import SQLiteStore

from .crawling import wait_for
from .records import record
from .servers import TcpProxy


def test_upsert_is_idempotent(database_url: str) -> None:
    records = [record(code) for code in range(100, 110)]
    with open_store(database_url) as store:
        assert store.write(records) == {"new": 10}
        assert store.write(records) == {"unchanged": 10}
        assert store.known_codes() == set(range(100, 110))
        assert store.count_revisions() == 0


def test_unchanged_recrawl_only_touches_last_seen(database_url: str) -> None:
    with open_store(database_url) as store:
        store.write([record(1)])
        first = next(store.iter_articles())
        store.write([record(1, crawled_at="2026-02-01T00:00:00+00:00")])
        again = next(store.iter_articles())
    assert again["first_seen_at"] == first["first_seen_at"]
    assert again["last_seen_at"] >= first["last_seen_at"]
    assert again["crawled_at"] == first["crawled_at"]


def test_an_edit_makes_a_revision_and_updates_the_row(database_url: str) -> None:
    original = record(7)
    edited = record(7, title="عنوان ویرایش\u200cشده", crawled_at="2026-02-01T00:00:00+00:00")
    with open_store(database_url) as store:
        store.write([original])
        assert store.write([edited]) == {"updated": 1}
        row = next(store.iter_articles())
        revisions = list(store.iter_revisions(7))
    assert row["title"] == edited["title"]
    assert row["content_hash"] == edited["content_hash"]
    assert [r["title"] for r in revisions] == [original["title"]]
    assert revisions[0]["content_hash"] == original["content_hash"]
    assert revisions[0]["crawled_at"] == "2026-01-01T00:00:00+00:00"


def test_a_late_older_version_is_kept_as_revision_not_applied(database_url: str) -> None:
    newer = record(8, title="تازه", crawled_at="2026-03-01T00:00:00+00:00")
    older = record(8, title="قدیمی", crawled_at="2026-01-01T00:00:00+00:00")
    with open_store(database_url) as store:
        store.write([newer])
        assert store.write([older]) == {"older": 1}
        assert next(store.iter_articles())["title"] == "تازه"
        assert [r["title"] for r in store.iter_revisions(8)] == ["قدیمی"]


def test_records_round_trip_field_by_field(database_url: str) -> None:
    original = record(4776124, uptitle=None, tags=[], image_urls=[])
    with open_store(database_url) as store:
        store.write([original, record(4776125)])
        rows = {row["news_code"]: row for row in store.iter_articles()}
    stored = rows[4776124]
    assert {name: stored[name] for name in original} == original


def test_hostile_values_are_stored_intact(database_url: str) -> None:
    hostile = record(
        9,
        title="'; DROP TABLE articles; -- \" \\ %s %(x)s :name",
        lead="\u202eright-to-left override\u202c \u0001 control",
        body="x" * 1_000_000,
        tags=["a,b", "c|d", "'", '"', "{braces}", "NULL"],
    )
    with open_store(database_url) as store:
        store.write([hostile])
        stored = next(store.iter_articles())
    assert {name: stored[name] for name in hostile} == hostile


def test_newest_publication_time_ignores_undated_rows(database_url: str) -> None:
    with open_store(database_url) as store:
        assert store.newest_published_at() is None
        store.write(
            [
                record(1, published_at="2020-07-05T10:30:00+04:30"),
                record(2, published_at="2024-06-01T08:00:00+03:30"),
                record(3, published_at=None, published_at_jalali=None),
            ]
        )
        assert store.newest_published_at() == "2024-06-01T08:00:00+03:30"


def test_filters_select_by_instant_and_service(database_url: str) -> None:
    with open_store(database_url) as store:
        store.write(
            [
                record(1, published_at="2022-09-21T23:30:00+04:30", service="قضایی"),
                record(2, published_at="2022-09-22T00:30:00+03:30", service="سیاسی"),
            ]
        )
        edge = 1663788600  # 2022-09-21T23:30:00+04:30
        assert [r["news_code"] for r in store.iter_articles(Filters(until_epoch=edge))] == [1]
        assert [r["news_code"] for r in store.iter_articles(Filters(since_epoch=edge + 1))] == [2]
        assert [r["news_code"] for r in store.iter_articles(Filters(service="سیاسی"))] == [2]


def test_schema_version_is_recorded_and_reopening_migrates_nothing(database_url: str) -> None:
    with open_store(database_url) as store:
        store.write([record(1)])
        assert store.schema_version == SCHEMA_VERSION
    with open_store(database_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.known_codes() == {1}


def test_a_version_1_store_migrates_to_modified_at_in_both_tables(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store created before version 3: only the first migration has run.
    for kind, module in ((SQLiteStore, sqlite_store), (PostgresStore, postgres_store)):
        monkeypatch.setattr(kind, "_migrations", lambda self, v1=module.MIGRATIONS[1]: {1: v1})
    with open_store(database_url) as store:
        assert store.schema_version == 1
    monkeypatch.undo()
    first = record(1, modified_at="2024-06-01T09:00:00+03:30")
    edited = record(1, body="متن ویرایش‌شده", modified_at="2024-06-02T10:30:00+03:30")
    edited["crawled_at"] = "2026-01-02T00:00:00+00:00"
    with open_store(database_url) as store:
        assert store.schema_version == SCHEMA_VERSION == max(sqlite_store.MIGRATIONS)
        assert store.write([first]) == {"new": 1}
        assert store.write([edited]) == {"updated": 1}
        assert next(store.iter_articles())["modified_at"] == "2024-06-02T10:30:00+03:30"
        assert [row["modified_at"] for row in store.iter_revisions(1)] == [first["modified_at"]]


def test_lists_use_the_databases_natural_form(pg_url: str, tmp_path: Path) -> None:
    with open_store(pg_url) as store:
        store.write([record(1)])
    with psycopg.connect(pg_url) as connection:
        types = dict(
            connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'articles'"
            ).fetchall()
        )
    assert types["tags"] == "ARRAY" and types["image_urls"] == "ARRAY"
    assert types["published_at"] == "timestamp with time zone"
    path = tmp_path / "s.sqlite"
    with open_store(f"sqlite:///{path}") as store:
        store.write([record(1)])
    with sqlite3.connect(path) as connection:
        count = connection.execute(
            "SELECT json_array_length(tags) FROM articles WHERE news_code = 1"
        ).fetchone()[0]
    assert count == 2


def test_relative_sqlite_url_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///data/mizan.sqlite") as store:
        store.write([record(1)])
    assert (tmp_path / "data" / "mizan.sqlite").exists()


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///", "file.sqlite", ""])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreConfigError):
        parse_database_url(url)


def test_redact_hides_the_password() -> None:
    assert redact("postgresql://u:s3cret@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert redact("sqlite:///data/x.sqlite") == "sqlite:///data/x.sqlite"


def test_unreachable_postgres_is_a_clear_error_without_password() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        open_store("postgresql://user:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


LATER = "2026-02-01T00:00:00+00:00"
ONE_FIELD_EDITS = {
    "tags": {"tags": ["قطر", "غزه", "آتش\u200cبس"]},
    "uptitle": {"uptitle": "روتیتر تازه"},
    "service": {"service": "اجتماعی"},
    "printed time": {
        "published_at": "2024-06-01T20:00:00+03:30",
        "published_at_jalali": "1403-03-12 20:00",
        "published_at_raw": "۱۲ خرداد ۱۴۰۳ - ۲۰:۰۰",
    },
}


@pytest.mark.parametrize("edit", sorted(ONE_FIELD_EDITS))
def test_a_change_to_any_one_field_is_an_edit(database_url: str, edit: str) -> None:
    original = record(9)
    changed = record(9, crawled_at=LATER, **ONE_FIELD_EDITS[edit])
    assert changed["content_hash"] == original["content_hash"]  # the text fingerprint is blind
    with open_store(database_url) as store:
        store.write([original])
        assert store.write([changed]) == {"updated": 1}
        assert store.write([{**changed, "crawled_at": "2026-03-01T00:00:00+00:00"}]) == {
            "unchanged": 1
        }
        row = next(store.iter_articles())
        revisions = list(store.iter_revisions(9))
    for name, value in ONE_FIELD_EDITS[edit].items():
        assert row[name] == value
        assert [revision[name] for revision in revisions] == [original[name]]
    assert len(revisions) == 1


def test_the_same_versions_written_twice_keep_no_duplicate_revision(database_url: str) -> None:
    """A spool replayed again after a kill, or a batch retried after a commit whose outcome was
    unknown, writes records the store already took."""
    versions = [
        record(11, crawled_at=f"2026-0{month}-01T00:00:00+00:00", title=f"نسخه {month}")
        for month in (1, 2, 3)
    ]
    with open_store(database_url) as store:
        for version in versions:
            store.write([version])
        for version in versions:  # the replay, again
            assert store.write([version]) == {"unchanged": 1}
        store.write([versions[0]])  # an older version already kept: not kept twice
        revisions = list(store.iter_revisions(11))
        assert store.count_revisions() == 2
    assert [revision["title"] for revision in revisions] == ["نسخه 1", "نسخه 2"]


def test_revisions_come_oldest_crawl_first(database_url: str) -> None:
    newest = record(12, title="سوم", crawled_at="2026-03-01T00:00:00+00:00")
    late_old = record(12, title="اول", crawled_at="2026-01-01T00:00:00+00:00")
    middle = record(12, title="دوم", crawled_at="2026-02-01T00:00:00+00:00")
    with open_store(database_url) as store:
        store.write([newest])
        assert store.write([middle]) == {"older": 1}
        assert store.write([late_old]) == {"older": 1}  # kept after "middle", crawled before it
        titles = [revision["title"] for revision in store.iter_revisions(12)]
    assert titles == ["اول", "دوم"]


def test_a_version_that_returns_is_not_archived_twice(database_url: str) -> None:
    first = record(13, title="الف")
    second = record(13, title="ب", crawled_at="2026-02-01T00:00:00+00:00")
    back = record(13, title="الف", crawled_at="2026-03-01T00:00:00+00:00")
    again = record(13, title="ب", crawled_at="2026-04-01T00:00:00+00:00")
    with open_store(database_url) as store:
        for version in (first, second, back, again):
            assert store.write([version]) in ({"new": 1}, {"updated": 1})
        titles = sorted(revision["title"] for revision in store.iter_revisions(13))
        assert next(store.iter_articles())["title"] == "ب"
    assert titles == ["الف", "ب"]  # each version once, whatever the order it came back in


def test_the_ledger_and_short_links_are_written_with_the_batch(database_url: str) -> None:
    with open_store(database_url) as store:
        store.write([record(20)], [CoverageMark("run", "news", 100, 200)], {"/00ab": 20})
        store.write([], [CoverageMark("run", "news", 50, 150)], {"/00ab": 21, "/00cd": 22})
        marks = store.coverage()
        links = store.short_links()
    assert [(m.run_id, m.source, m.first, m.last) for m in marks] == [("run", "news", 50, 200)]
    assert links == {"/00ab": 21, "/00cd": 22}


def test_a_failed_batch_writes_no_mark(pg_url: str) -> None:
    """The ledger never vouches for articles the store refused: same transaction."""
    with open_store(pg_url) as store:
        with pytest.raises(psycopg.Error):
            store.write([record(30, title="NUL \x00 inside")], [CoverageMark("run", "news", 1, 2)])
        assert store.coverage() == []
        assert store.known_codes() == set()


def test_a_withdrawal_and_a_return_are_recorded_not_deleted(database_url: str) -> None:
    gone_at, back_at = "2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"
    with open_store(database_url) as store:
        store.write([record(40), record(41)])
        store.write([], observed=Observations(gone={40: gone_at, 999: gone_at}))  # 999: not stored
        store.write([], observed=Observations(gone={40: "2026-02-15T00:00:00+00:00"}))  # again
        rows = {row["news_code"]: row for row in store.iter_articles()}
        assert rows[40]["withdrawn_at"] == gone_at and rows[41]["withdrawn_at"] is None
        assert store.withdrawn_codes() == {40}
        # A record fetched before the withdrawal (a late spooled one) does not bring it back.
        assert store.write([record(40, crawled_at="2026-01-15T00:00:00+00:00")]) == {"unchanged": 1}
        assert store.withdrawn_codes() == {40}
        assert store.write([record(40, crawled_at=back_at)]) == {"unchanged": 1}  # not an edit
        assert next(store.iter_articles())["withdrawn_at"] is None
        assert [
            (w["news_code"], w["withdrawn_at"], w["restored_at"]) for w in store.withdrawals()
        ] == [(40, gone_at, back_at)]
        assert store.withdrawal_counts() == (1, 1)
        assert store.count_revisions() == 0


def test_sitemap_entries_record_the_lastmod_the_stored_version_holds(database_url: str) -> None:
    def entry(code: int, lastmod: str, seen_at: str) -> SitemapEntry:
        urlset = "https://example.org/sitemap?y=1403&m=3"
        return SitemapEntry(code, datetime.fromisoformat(lastmod), None, urlset, seen_at)

    read_at = "2026-01-01T00:00:00+00:00"
    first = {code: entry(code, "2024-06-01T08:00:00+03:30", read_at) for code in (50, 51)}
    with open_store(database_url) as store:
        # 50 fetched after the urlset was read; 51 fetched before (by an earlier crawl).
        store.write(
            [record(50, crawled_at="2026-01-01T00:00:05+00:00"),
             record(51, crawled_at="2025-12-31T00:00:00+00:00")],
            observed=Observations(sitemap_entries=first),
        )  # fmt: skip
        moved = entry(50, "2024-06-03T10:00:00+03:30", "2026-02-01T00:00:00+00:00")
        store.write([], observed=Observations(sitemap_entries={50: moved}))
        entries = {row["news_code"]: row for row in store.sitemap_entries()}
        basis = store.fetch_basis([50, 51, 52])
    assert entries[50]["lastmod"] == "2024-06-03T10:00:00+03:30"
    assert entries[50]["fetched_lastmod"] == "2024-06-01T08:00:00+03:30"  # not the new one
    assert entries[51]["fetched_lastmod"] is None
    assert entries[50]["urlset"].endswith("m=3") and entries[50]["publication_date"] is None
    assert set(basis) == {50, 51}
    assert basis[50].fetched_lastmod == datetime.fromisoformat("2024-06-01T08:00:00+03:30")
    assert basis[51].fetched_lastmod is None and basis[51].last_seen_at is not None


# Writers at once, and a server that stops answering (PostgreSQL) ------------------------------


def _edition(codes: list[int], round_: int, writer: str) -> list[dict[str, object]]:
    """The records of ``codes`` as ``writer`` saw them in ``round_``: every round changes every
    row, so each write updates (and locks) rows the other writer is updating too."""
    crawled_at = f"2026-01-01T00:{round_:02d}:00+00:00"
    return [
        record(code, title=f"{writer} {round_} {code}", crawled_at=crawled_at) for code in codes
    ]


def test_two_writers_with_batches_in_opposite_order_never_deadlock(pg_url: str) -> None:
    """Each write locks its rows in news-code order whatever order the batch came in, so two
    writers of overlapping batches wait for each other: no deadlock, nothing written twice."""
    codes = list(range(1, 201))
    rounds = 8
    start = threading.Barrier(2)
    failures: list[BaseException] = []
    conflicts: dict[str, int] = {}

    def writer(name: str, order: list[int]) -> None:
        try:
            with open_store(pg_url, timeout=30) as store:
                for round_ in range(rounds):
                    start.wait(timeout=30)
                    outcome = store.write(_edition(order, round_, name))
                    assert sum(outcome.values()) == len(order)
                conflicts[name] = store.conflicts
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
            start.abort()

    threads = [
        threading.Thread(target=writer, args=("up", codes)),
        threading.Thread(target=writer, args=("down", codes[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert conflicts == {"up": 0, "down": 0}, "a writer's transaction was aborted by a deadlock"
    with open_store(pg_url) as store:
        assert store.known_codes() == set(codes)
        titles = {row["title"].rsplit(" ", 2)[1] for row in store.iter_articles()}
    assert titles == {str(rounds - 1)}


def _waiting_for_a_lock(pg_url: str) -> bool:
    with psycopg.connect(pg_url) as connection:
        query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"
        return connection.execute(query).fetchone()[0] > 0


def test_a_deadlock_is_written_again_not_taken_for_an_outage(pg_url: str) -> None:
    """Another client takes rows in the opposite order and deadlocks with a batch: PostgreSQL
    aborts the batch's transaction (the store's session checks first), which is written again
    as soon as the other has committed, never reported as the store being down."""
    with open_store(pg_url) as store:
        store.write([record(1), record(2)])
    outcome: list[object] = []
    with open_store(pg_url, timeout=30) as store, psycopg.connect(pg_url) as other:
        other.execute("SET deadlock_timeout = '20s'")  # the store's session finds the deadlock
        other.execute("SELECT 1 FROM articles WHERE news_code = 2 FOR UPDATE")
        edited = [record(code, title="ویرایش", crawled_at=LATER) for code in (1, 2)]

        def write() -> None:
            try:
                outcome.append(store.write(edited))
            except Exception as error:
                outcome.append(error)

        writing = threading.Thread(target=write)
        writing.start()
        wait_for(lambda: _waiting_for_a_lock(pg_url), "the batch waiting for row 2", timeout=10)
        other.execute("UPDATE articles SET title = 'دیگری' WHERE news_code = 1")  # the cycle
        other.commit()
        writing.join(timeout=30)
        conflicts = store.conflicts
    assert outcome == [{"updated": 2}], outcome
    assert conflicts == 1
    with open_store(pg_url) as store:
        assert {row["title"] for row in store.iter_articles()} == {"ویرایش"}


def test_a_server_that_stops_answering_costs_the_timeout(pg_url: str) -> None:
    """Behind a proxy that stops forwarding, a write and a new connection each fail within the
    store's timeout, with a message that says so; once it forwards again, the store writes."""
    proxy = TcpProxy(pg_url)
    with open_store(proxy.url, timeout=1) as store:
        store.write([record(1)])
        proxy.stall()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"no answer within 1 s \(MIZAN_STORE_TIMEOUT\)"):
            store.write([record(2)])
        assert time.monotonic() - started < 2.5
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="cannot connect"):
            open_store(proxy.url, timeout=1)
        assert time.monotonic() - started < 4  # libpq's shortest connect_timeout is 2 s
        proxy.resume()
    with open_store(proxy.url, timeout=1) as store:
        assert store.write([record(2)]) == {"new": 1}
        assert store.known_codes() == {1, 2}
    proxy.cut()
