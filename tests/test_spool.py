"""Spool files: one per crawl, never lost to another crawl, torn lines cut back, replays that
can be repeated without duplicating anything in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mizan_crawler.store import open_store
from mizan_crawler.store.spool import Spool

from .records import record


class Collect:
    """A ``write`` for ``Spool.replay`` that keeps what it was given, failing when told."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_after = fail_after

    def __call__(self, batch: list[dict[str, Any]]) -> None:
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise ConnectionError("the store went away again")
        self.batches.append(batch)

    def codes(self) -> list[int]:
        return [item["news_code"] for batch in self.batches for item in batch]


def test_two_crawls_on_one_machine_keep_their_own_files(tmp_path: Path) -> None:
    scheduler, backfill = Spool(tmp_path, "store"), Spool(tmp_path, "store")
    scheduler.append([record(1), record(2)])
    backfill.append([record(3)])
    written = Collect()
    assert scheduler.replay(written, 10) == 2  # the backfill still runs: its file is its own
    assert written.codes() == [1, 2]
    assert len(backfill) == 1 and scheduler.others_waiting() == 1
    backfill.append([record(4)])  # appended while the other crawl replayed: not lost
    backfill.close()  # the backfill ended with the store away
    later = Collect()
    assert Spool(tmp_path, "store").replay(later, 10) == 2
    assert later.codes() == [3, 4]
    assert not list(tmp_path.glob("*.jsonl"))


def test_a_store_of_another_name_is_not_touched(tmp_path: Path) -> None:
    Spool(tmp_path, "one").append([record(1)])
    assert Spool(tmp_path, "two").replay(Collect(), 10) == 0
    assert len(list(tmp_path.glob("*.jsonl"))) == 1


def test_a_torn_line_never_swallows_the_next_record(tmp_path: Path) -> None:
    spool = Spool(tmp_path, "store")
    spool.append([record(1)])
    with spool.path.open("ab") as handle:  # a crash (or a full disk) in the middle of a line
        handle.write(b'{"news_code": 2, "title": "cut sho')
    spool.append([record(3)])
    written = Collect()
    spool.replay(written, 10)
    assert written.codes() == [1, 3]


def test_a_dead_crawls_torn_file_replays_its_whole_lines(tmp_path: Path) -> None:
    dead = Spool(tmp_path, "store")
    dead.append([record(1), record(2)])
    dead.close()
    with dead.path.open("ab") as handle:
        handle.write(b'{"news_code": 9')
    written = Collect()
    Spool(tmp_path, "store").replay(written, 10)
    assert written.codes() == [1, 2]


def test_a_replay_cut_short_and_repeated_keeps_nothing_twice(
    tmp_path: Path, database_url: str
) -> None:
    versions = [
        record(5, title=f"نسخه {month}", crawled_at=f"2026-0{month}-01T00:00:00+00:00")
        for month in (1, 2, 3)
    ]
    dead = Spool(tmp_path, "store")
    dead.append([*versions, record(6)])
    dead.close()
    with open_store(database_url) as store:

        def write(batch: list[dict[str, Any]]) -> None:
            store.write(batch)

        failing = Collect(fail_after=1)

        def write_then_die(batch: list[dict[str, Any]]) -> None:
            failing(batch)
            write(batch)

        with pytest.raises(ConnectionError):
            Spool(tmp_path, "store").replay(write_then_die, 2)  # the crawl dies mid-replay
        assert len(list(tmp_path.glob("*.jsonl"))) == 1
        assert Spool(tmp_path, "store").replay(write, 2) == 4  # replayed again, from the start
        assert store.count_revisions() == 2
        assert store.known_codes() == {5, 6}
        assert next(r for r in store.iter_articles() if r["news_code"] == 5)["title"] == "نسخه 3"
    assert not list(tmp_path.glob("*.jsonl"))
