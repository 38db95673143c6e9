"""Withdrawn articles and edits, kept current at the cost of what changed: against the replica, a
stored article taken down (404, gone from its urlset) is found by one ``refresh=changed`` backfill
that fetches only it, marked withdrawn and kept in exports, and recorded back when it returns; a
CMS error page in any crawl withdraws it too; ``refresh=changed`` after 20 of 1,000 articles were
edited fetches those 20."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mizan_crawler.cli import main
from mizan_crawler.dates import TEHRAN
from mizan_crawler.replica import Corpus, ReplicaServer, Reply
from mizan_crawler.replica.render import error_page
from mizan_crawler.replica.server import EDIT_NOTE
from mizan_crawler.store import open_store

from .crawling import CrawlResult, run_crawl

MAY = {"start": datetime(2024, 5, 1, tzinfo=TEHRAN), "end": datetime(2024, 6, 1, tzinfo=TEHRAN)}
RANGE = ("from=2024-05-01", "to=2024-05-31")


def _database(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'data' / 'mizan.sqlite'}"


def _rows(workdir: Path) -> dict[int, dict[str, object]]:
    with open_store(_database(workdir)) as store:
        return {int(row["news_code"]): row for row in store.iter_articles()}


def _backfill(site: ReplicaServer, workdir: Path, *args: str) -> tuple[CrawlResult, Counter[int]]:
    """One backfill of May; its result and the article fetches it made."""
    before = site.article_fetches()
    result = run_crawl("backfill", site.base_url, workdir, *RANGE, *args)
    assert result.returncode == 0, result.log
    return result, site.article_fetches() - before


@pytest.fixture
def site() -> Iterator[ReplicaServer]:
    with ReplicaServer(Corpus(200, seed=31, **MAY)) as server:
        yield server


def test_a_withdrawn_article_is_found_by_one_refresh_and_kept(
    site: ReplicaServer, tmp_path: Path
) -> None:
    _backfill(site, tmp_path)
    stored = _rows(tmp_path)
    gone = sorted(stored)[57]
    site.withdraw(gone)

    result, fetched = _backfill(site, tmp_path, "refresh=changed")
    assert fetched == Counter({gone: 1})  # only the article missing from its urlset
    assert result.stats["mizan/refresh/missing"] == 1
    assert result.stats["mizan/skipped/http_404"] == 1
    rows = _rows(tmp_path)
    assert set(rows) == set(stored)  # never deleted
    assert rows[gone]["withdrawn_at"] is not None
    assert [code for code, row in rows.items() if row["withdrawn_at"]] == [gone]
    first_found = rows[gone]["withdrawn_at"]

    # Still gone: a second pass fetches nothing and keeps the first finding.
    _, fetched = _backfill(site, tmp_path, "refresh=changed")
    assert fetched == Counter()
    assert _rows(tmp_path)[gone]["withdrawn_at"] == first_found

    out = tmp_path / "export"
    main(["export", "--database-url", _database(tmp_path), "--format", "jsonl", "--out", str(out)])
    exported = [
        json.loads(line) for line in (out / "articles.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(exported) == len(stored)
    assert {row["news_code"]: row["withdrawn_at"] for row in exported}[gone] == first_found
    assert "withdrawn from the site since they were stored: 1" in (out / "README.md").read_text()

    # Back on the site: listed again, so the next pass fetches it and records the return.
    site.restore(gone)
    _, fetched = _backfill(site, tmp_path, "refresh=missing")
    assert fetched == Counter({gone: 1})
    assert _rows(tmp_path)[gone]["withdrawn_at"] is None
    with open_store(_database(tmp_path)) as store:
        history = [
            (row["withdrawn_at"], row["restored_at"] is not None) for row in store.withdrawals()
        ]
    assert history == [(first_found, True)]


def test_stats_count_withdrawn_articles(
    site: ReplicaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _backfill(site, tmp_path)
    for code in sorted(_rows(tmp_path))[:2]:
        site.withdraw(code)
    _backfill(site, tmp_path, "refresh=missing")
    main(["stats", "--database-url", _database(tmp_path)])
    out = capsys.readouterr().out
    assert "withdrawn: 2 (gone from the site, kept in the store)" in out
    assert "withdrawals found: 2, of which back on the site: 0" in out


def test_the_cms_error_page_in_any_crawl_marks_a_stored_article_withdrawn(
    site: ReplicaServer, tmp_path: Path
) -> None:
    _backfill(site, tmp_path)
    code = sorted(_rows(tmp_path))[3]
    site.script(f"/fa/news/{code}", Reply(200, error_page().encode("utf-8")))
    result = run_crawl("article", site.base_url, tmp_path, f"urls={code}")
    assert result.returncode == 0, result.log
    assert result.stats["mizan/skipped/cms_error_page"] == 1
    assert _rows(tmp_path)[code]["withdrawn_at"] is not None


def test_a_backfill_without_refresh_reads_the_urlsets_into_the_store(
    site: ReplicaServer, tmp_path: Path
) -> None:
    _, fetched = _backfill(site, tmp_path)
    with open_store(_database(tmp_path)) as store:
        entries = {row["news_code"]: row for row in store.sitemap_entries()}
    truth = {row["news_code"]: row for row in site.truth_records()}
    assert set(entries) == set(truth)  # every listed article, for the coverage report
    assert set(fetched) == set(truth)
    code = next(iter(truth))
    assert datetime.fromisoformat(entries[code]["lastmod"]) == datetime.fromisoformat(
        truth[code]["lastmod"]
    )
    assert entries[code]["fetched_lastmod"] == entries[code]["lastmod"]
    assert "fa-sitemap-newsarchive" in entries[code]["urlset"]


def test_refresh_changed_fetches_only_the_edited_articles(tmp_path: Path) -> None:
    with ReplicaServer(Corpus(1000, seed=32, **MAY)) as site:
        _backfill(site, tmp_path)
        stored = _rows(tmp_path)
        assert len(stored) == sum(1 for _ in site.truth_records())
        _, fetched = _backfill(site, tmp_path, "refresh=changed")
        assert fetched == Counter()  # nothing moved: nothing fetched

        edited = sorted(stored)[::50][:20]
        at = site.now - timedelta(minutes=5)
        for code in edited:
            site.edit(code, at)
        result, fetched = _backfill(site, tmp_path, "refresh=changed")
        assert fetched == Counter(dict.fromkeys(edited, 1))  # 20 article fetches, no more
        assert result.stats["mizan/refresh/edited"] == 20
        assert result.stats["mizan/store/updated"] == 20
        rows = _rows(tmp_path)
        assert all(rows[code]["body"].endswith(EDIT_NOTE) for code in edited)
        with open_store(_database(tmp_path)) as store:
            assert store.count_revisions() == 20

        _, fetched = _backfill(site, tmp_path, "refresh=changed")
        assert fetched == Counter()  # the edits are now what the store holds


def test_refresh_changed_needs_the_sitemap_source(site: ReplicaServer, tmp_path: Path) -> None:
    result = run_crawl("backfill", site.base_url, tmp_path, "codes=1-10", "refresh=changed")
    assert result.returncode == 2, result.log
    assert "-a refresh=changed needs the sitemap source" in result.log
    result = run_crawl("backfill", site.base_url, tmp_path, *RANGE, "refresh=chnaged")
    assert result.returncode == 2, result.log
    assert "use 1 (every stored article), changed or missing" in result.log
    assert site.article_fetches() == Counter()  # refused before anything was fetched
