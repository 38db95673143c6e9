"""The servers and the disk under a crawl fail: PostgreSQL restarted mid-crawl or silent behind a
stalled proxy, Redis restarted mid-way through a distributed crawl, the SQLite store's disk
read-only or full. Nothing is lost,
the log says what happened in a line or two, and the crawl recovers by itself where it can."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from mizan_crawler.dates import TEHRAN, day_end, day_start
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.store import open_store

from .crawling import CrawlResult, RunningCrawl, pg_rows, sqlite_rows, start_crawl, wait_for
from .servers import TcpProxy, ext4_disk, private_postgres, private_redis, scratch_disk


def _codes(replica: ReplicaServer, count: int) -> list[int]:
    return [a.news_code for a in replica.corpus if not a.withdrawn and a.kind == "news"][:count]


def _no_traceback(result: CrawlResult) -> None:
    """No traceback in the crawl's own log (Spidermon's report of a failed check prints one)."""
    assert "Traceback" not in result.log.split("[Spidermon]")[0], result.log


@pytest.mark.parametrize("down_seconds", [0, 3], ids=["restart", "down-3s"])
def test_postgres_restarted_mid_crawl_loses_nothing(
    replica: ReplicaServer, tmp_path: Path, down_seconds: float
) -> None:
    """A restart (``pg_ctl restart -m fast``) is over before the next write's retries are; a
    server down for seconds makes the crawl spool its articles and write them once it is back."""
    codes = _codes(replica, 120)
    with private_postgres() as server:
        crawl = start_crawl(
            "article",
            replica.base_url,
            tmp_path,
            "urls=" + ",".join(map(str, codes)),
            settings={"MIZAN_STORE_BATCH": "4", "DOWNLOAD_DELAY": "0.03"},
            env={"DATABASE_URL": server.url},
        )
        wait_for(lambda: pg_rows(server.url) >= 20, "20 stored articles")
        if down_seconds:
            server.stop("fast")
            time.sleep(down_seconds)
            server.start()
        else:
            server.restart()
        restarted_at = pg_rows(server.url)
        result = crawl.wait()
        with open_store(server.url) as store:
            stored = store.known_codes()
    assert restarted_at < len(codes), "the crawl ended before the restart"
    assert stored == set(codes)
    assert result.returncode == 0, result.log
    assert result.stats["finish_reason"] == "finished"
    assert result.stats["mizan/store/reconnects"] > 0
    warnings = [line for line in result.log.splitlines() if "reconnecting" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0], result.log
    assert "terminating connection" in warnings[0] or "closed" in warnings[0], warnings[0]
    spooled = result.stats.get("mizan/store/spooled", 0)
    assert spooled == result.stats.get("mizan/store/replayed", 0)
    if down_seconds:
        assert spooled > 0
        assert "spooling items to" in result.log and "is back; spooled items written" in result.log
    _no_traceback(result)


STORE_TIMEOUT = 3.0
STALL_SECONDS = 8.0


def _spooled(spool_dir: Path) -> int:
    return sum(
        1 for path in spool_dir.glob("*.jsonl") for line in path.read_bytes().splitlines() if line
    )


def test_postgres_that_stops_answering_mid_crawl_holds_up_nothing(
    replica: ReplicaServer, tmp_path: Path, pg_url: str
) -> None:
    """Behind a proxy that keeps its connections open and stops forwarding (a hung pooler, a
    frozen server), the write in progress fails after MIZAN_STORE_TIMEOUT and batches go to
    the spool; the crawl downloads all along, and once the server answers it stores everything."""
    codes = _codes(replica, 150)
    proxy = TcpProxy(pg_url)
    crawl = start_crawl(
        "article",
        replica.base_url,
        tmp_path,
        "urls=" + ",".join(map(str, codes)),
        settings={
            "MIZAN_STORE_BATCH": "4",
            "MIZAN_STORE_TIMEOUT": str(STORE_TIMEOUT),
            "DOWNLOAD_DELAY": "0.08",
        },
        env={"DATABASE_URL": proxy.url},
    )
    wait_for(lambda: pg_rows(pg_url) >= 12, "12 stored articles")
    proxy.stall()
    stalled = time.monotonic()
    spool_dir = tmp_path / "data" / "spool"
    wait_for(lambda: _spooled(spool_dir) > 0, "spooled items", timeout=STORE_TIMEOUT + 4)
    first_spooled = time.monotonic() - stalled
    time.sleep(max(0.0, STALL_SECONDS - (time.monotonic() - stalled)))
    stored_while_stalled = pg_rows(pg_url)
    proxy.resume()
    resumed = time.monotonic()
    result = crawl.wait()
    proxy.cut()
    with open_store(pg_url) as store:
        stored = store.known_codes()
    fetched = [logged.at for logged in replica.requests if stalled <= logged.at < resumed]
    assert stored_while_stalled < len(codes), "the crawl ended before the stall"
    assert first_spooled < STORE_TIMEOUT + 3
    # Downloads went on at their pace (0.08 s apart on average) through the whole stall, also
    # after the write in progress had failed and while later ones were being spooled.
    assert len(fetched) >= STALL_SECONDS / 0.08 / 3, len(fetched)
    assert any(at >= stalled + STALL_SECONDS - 1 for at in fetched)
    assert result.returncode == 0, result.log
    assert result.stats["finish_reason"] == "finished"
    assert stored == set(codes)
    assert result.stats["mizan/store/spooled"] > 0
    assert result.stats["mizan/store/replayed"] == result.stats["mizan/store/spooled"]
    assert result.stats["mizan/store/spool_left"] == 0
    assert not list(spool_dir.glob("*.jsonl"))
    spooling = [line for line in result.log.splitlines() if "spooling items to" in line]
    assert len(spooling) == 1 and "WARNING" in spooling[0], result.log
    assert f"no answer within {STORE_TIMEOUT:g} s (MIZAN_STORE_TIMEOUT)" in spooling[0]
    assert "is back; spooled items written" in result.log
    _no_traceback(result)


@pytest.mark.parametrize("down_seconds", [0, 2], ids=["restart", "down-2s"])
def test_redis_restarted_mid_distributed_crawl_loses_nothing(
    tmp_path: Path, pg_url: str, down_seconds: float
) -> None:
    """Redis as docker-compose runs it (an append-only file), restarted (SIGTERM, then started
    again) while two workers share a backfill: both wait for it, go on, and finish the crawl."""
    corpus = Corpus(
        1200, seed=31, start=datetime(2024, 3, 1, tzinfo=TEHRAN),
        end=datetime(2024, 9, 1, tzinfo=TEHRAN),
    )  # fmt: skip
    arguments = ("from=2024-06-01", "to=2024-06-20")
    with ReplicaServer(corpus) as site, private_redis() as redis_server:
        expected = {
            row["news_code"]
            for row in site.truth_records(day_start(date(2024, 6, 1)), day_end(date(2024, 6, 20)))
        }
        workers = [
            start_crawl(
                "backfill",
                site.base_url,
                tmp_path / name,
                *arguments,
                # Longer than the outage: workers do not take each other for dead (that would
                # only fetch some articles twice, never lose one, but it is not this test's point)
                settings={"DOWNLOAD_DELAY": "0.2", "MIZAN_REDIS_WORKER_TIMEOUT": "10"},
                env={"DATABASE_URL": pg_url, "MIZAN_REDIS_URL": redis_server.url},
            )
            for name in ("a", "b")
        ]
        wait_for(lambda: pg_rows(pg_url) >= 20, "20 stored articles")
        stopped_at = pg_rows(pg_url)
        running = [worker.process.poll() is None for worker in workers]
        redis_server.stop()
        time.sleep(down_seconds)
        redis_server.start()
        results = [worker.wait(180) for worker in workers]
    assert all(running) and stopped_at < len(expected), "the crawl ended before the restart"
    for result in results:
        assert result.returncode == 0, result.log
        assert result.stats["finish_reason"] == "finished"
        _no_traceback(result)
    with open_store(pg_url) as store:
        assert store.known_codes() == expected
    scraped = Counter(item["news_code"] for result in results for item in result.items)
    assert set(scraped) == expected
    log = "".join(result.log for result in results)
    waits = [line for line in log.splitlines() if "is not answering" in line]
    if not down_seconds and not waits:
        return  # the restart fell between two commands, or the client's reconnection covered it
    assert waits and all("WARNING" in line for line in waits), log
    assert f"Redis at {redis_server.url} is not answering" in waits[0]
    assert "answers again after" in log


# Small batches, spaced pages: the disk can fail while the crawl is busy writing.
WRITING = {
    "MIZAN_STORE_BATCH": "4",
    "DOWNLOAD_DELAY": "0.03",
    "MIZAN_STORE_CLOSE_RETRY_SECONDS": "0.1",
}


def _start_sqlite_crawl(
    replica: ReplicaServer, workdir: Path, disk: Path, codes: list[int], **settings: str
) -> RunningCrawl:
    """The article spider into a SQLite store (and its spool) on ``disk``; the feed and the log
    stay elsewhere."""
    return start_crawl(
        "article",
        replica.base_url,
        workdir,
        "urls=" + ",".join(map(str, codes)),
        settings={"MIZAN_SPOOL_DIR": str(disk / "spool"), **settings},
        env={"DATABASE_URL": f"sqlite:///{disk / 'mizan.sqlite'}"},
    )


def _sqlite_crawl(
    replica: ReplicaServer, workdir: Path, disk: Path, codes: list[int]
) -> CrawlResult:
    return _start_sqlite_crawl(replica, workdir, disk, codes).wait()


def _sqlite_codes(disk: Path) -> set[int]:
    with open_store(f"sqlite:///{disk / 'mizan.sqlite'}") as store:
        return store.known_codes()


def test_read_only_sqlite_disk_stops_the_crawl_before_any_fetch(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    codes = _codes(replica, 60)
    with scratch_disk(tmp_path / "disk") as disk:
        first = _sqlite_crawl(replica, tmp_path / "first", disk.path, codes[:20])
        assert first.returncode == 0, first.log
        disk.read_only()
        before = replica.article_fetches()
        refused = _sqlite_crawl(replica, tmp_path / "refused", disk.path, codes)
        fetched = replica.article_fetches() - before
        disk.writable()
        again = _sqlite_crawl(replica, tmp_path / "again", disk.path, codes)
        stored = _sqlite_codes(disk.path)
    assert refused.returncode != 0
    assert refused.stats["finish_reason"] == "store_unavailable"
    assert not fetched, "pages were fetched with nowhere to keep them"
    critical = [line for line in refused.log.splitlines() if "CRITICAL" in line]
    assert len(critical) == 1, refused.log
    assert "Read-only file system" in critical[0], critical[0]
    assert "nothing was fetched: stopping the crawl" in critical[0]
    _no_traceback(refused)
    assert again.returncode == 0, again.log
    assert stored == set(codes)


def test_full_sqlite_disk_stops_the_crawl_and_the_next_run_completes_it(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    codes = _codes(replica, 150)
    with scratch_disk(tmp_path / "disk", size="4m") as disk:
        crawl = _start_sqlite_crawl(replica, tmp_path / "full", disk.path, codes, **WRITING)
        wait_for(lambda: sqlite_rows(disk.path / "mizan.sqlite") >= 30, "30 stored articles")
        filler = disk.fill()
        full = crawl.wait()
        kept = _sqlite_codes(disk.path)
        filler.unlink()
        again = _sqlite_crawl(replica, tmp_path / "again", disk.path, codes)
        stored = _sqlite_codes(disk.path)
    assert full.returncode != 0, full.log
    assert full.stats["finish_reason"] == "store_unavailable"
    assert len(kept) < len(codes), "the crawl ended before the disk was full"
    critical = [line for line in full.log.splitlines() if "CRITICAL" in line]
    assert any("full" in line and "stopping the crawl" in line for line in critical), full.log
    unkept = [line for line in critical if "could not be kept anywhere" in line]
    assert len(unkept) == 1, full.log  # the articles in hand, named by news code
    named = {int(code) for code in re.findall(r"\b\d{6,}\b", unkept[0].split("news codes ")[1])}
    assert named and not named & kept
    _no_traceback(full)
    assert again.returncode == 0, again.log
    assert stored == set(codes)


def test_sqlite_disk_turned_read_only_mid_crawl_loses_nothing(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    """The kernel remounts the store's ext4 disk read-only after an error (as a failing disk
    does), while the crawl writes: it stops naming the articles in hand, and after the operator
    repairs the disk the next run completes the store."""
    codes = _codes(replica, 150)
    with ext4_disk(tmp_path / "disk") as disk:
        crawl = _start_sqlite_crawl(replica, tmp_path / "failing", disk.path, codes, **WRITING)
        wait_for(lambda: sqlite_rows(disk.path / "mizan.sqlite") >= 30, "30 stored articles")
        disk.fail()
        failed = crawl.wait()
        disk.repair()
        kept = _sqlite_codes(disk.path)
        again = _sqlite_crawl(replica, tmp_path / "again", disk.path, codes)
        stored = _sqlite_codes(disk.path)
    assert failed.returncode != 0, failed.log
    assert failed.stats["finish_reason"] == "store_unavailable"
    assert 30 <= len(kept) < len(codes), "the crawl ended before the disk failed"
    critical = [line for line in failed.log.splitlines() if "CRITICAL" in line]
    assert any("read-only file system" in line.lower() for line in critical), failed.log
    unkept = [line for line in critical if "could not be kept anywhere" in line]
    assert len(unkept) == 1, failed.log
    _no_traceback(failed)
    assert again.returncode == 0, again.log
    assert stored == set(codes)
