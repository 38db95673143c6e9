"""End to end: crawls of a replica behind a JavaScript challenge or with script-built bodies, with
the system's Chromium, headless, over real HTTP on loopback."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mizan_crawler.replica import Corpus, ReplicaServer, Reply
from mizan_crawler.replica.faults import FaultPlan

from .crawling import CrawlResult, run_crawl, start_crawl
from .programs import require_program
from .test_article_spider import COMPARED, _pick

CHROMIUM = os.environ.get("MIZAN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system's Chromium; its absence fails the run in CI, where .ci/run installs it."""
    return require_program("chromium", "browser tests", "chromium", at=CHROMIUM)


@pytest.fixture(scope="module")
def challenged() -> Iterator[ReplicaServer]:
    """Every article behind the challenge."""
    with ReplicaServer(Corpus(300, seed=7), challenge_share=1.0) as server:
        yield server


@pytest.fixture(scope="module")
def scripted() -> Iterator[ReplicaServer]:
    """Every article's body inserted by a script."""
    with ReplicaServer(Corpus(300, seed=7), script_body_share=1.0) as server:
        yield server


def _codes(server: ReplicaServer) -> list[int]:
    """Eight articles: both themes, news, photo and video pages."""
    return (
        _pick(server, 3, theme="current", kind="news")
        + _pick(server, 3, theme="old", kind="news")
        + _pick(server, 1, kind="photo")
        + _pick(server, 1, kind="video")
    )


def _crawl(server: ReplicaServer, workdir: Path, codes: list[int], **settings: str) -> CrawlResult:
    urls = ",".join(f"{server.base_url}/fa/news/{code}" for code in codes)
    return run_crawl("article", server.base_url, workdir, f"urls={urls}", settings=settings)


def _assert_complete(server: ReplicaServer, result: CrawlResult, codes: list[int]) -> None:
    """Every article is there, field for field as the replica's ground truth has it."""
    by_code = {item["news_code"]: item for item in result.items}
    assert sorted(by_code) == sorted(codes), result.log
    for code in codes:
        truth = server.corpus.expected_record(server.corpus.by_code(code), server.base_url)
        item = by_code[code]
        assert {name: item[name] for name in COMPARED} == {name: truth[name] for name in COMPARED}


def test_challenged_articles_need_one_render_in_all(
    challenged: ReplicaServer, chromium: str, tmp_path: Path
) -> None:
    codes = _codes(challenged)
    served_before = sum(challenged.challenges_served.values())
    result = _crawl(challenged, tmp_path, codes, MIZAN_CHROMIUM=chromium)
    assert result.returncode == 0, result.log
    _assert_complete(challenged, result, codes)
    stats = result.stats
    # One challenge solved in the browser; its cookie lets every other page through plain HTTP.
    assert stats["mizan/browser/renders"] == 1
    assert stats["playwright/browser_count"] == 1
    # Plain requests met the challenge (the first, and those already on their way while the
    # browser worked, re-sent with its cookie); the browser met it once more and got through.
    assert stats["mizan/browser/challenges"] == 1 + stats.get("mizan/browser/cookie_retries", 0)
    served = sum(challenged.challenges_served.values()) - served_before
    assert served == stats["mizan/browser/challenges"] + stats["mizan/browser/renders"]
    assert "mizan/browser/unsolved" not in stats


def test_script_built_bodies_are_rendered(
    scripted: ReplicaServer, chromium: str, tmp_path: Path
) -> None:
    codes = _codes(scripted)
    result = _crawl(scripted, tmp_path, codes, MIZAN_CHROMIUM=chromium)
    assert result.returncode == 0, result.log
    _assert_complete(scripted, result, codes)
    stats = result.stats
    assert stats["mizan/browser/script_pages"] >= 7  # a photo page may have no body at all
    assert stats["mizan/browser/renders"] == stats["mizan/browser/script_pages"]
    assert "mizan/browser/challenges" not in stats


def test_never_leaves_challenged_pages_as_not_articles(
    challenged: ReplicaServer, tmp_path: Path
) -> None:
    codes = _codes(challenged)
    result = _crawl(challenged, tmp_path, codes, MIZAN_PLAYWRIGHT="never")
    assert result.items == []
    assert result.stats["mizan/skipped/not_an_article"] == len(codes)
    assert not any(name.startswith(("mizan/browser/", "playwright/")) for name in result.stats)


def test_always_without_a_browser_refuses_to_start(
    challenged: ReplicaServer, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-chromium")
    answered = len(challenged.requests)
    result = _crawl(
        challenged, tmp_path, _codes(challenged), MIZAN_PLAYWRIGHT="always", MIZAN_CHROMIUM=missing
    )
    assert result.returncode != 0
    assert f"Refusing to start: MIZAN_PLAYWRIGHT=always, but no browser at {missing}" in result.log
    assert "apt-get install chromium" in result.log
    assert len(challenged.requests) == answered  # not one request sent
    assert result.items == []


def test_auto_without_a_browser_warns_once_and_counts(
    challenged: ReplicaServer, tmp_path: Path
) -> None:
    codes = _codes(challenged)
    missing = str(tmp_path / "no-chromium")
    result = _crawl(challenged, tmp_path, codes, MIZAN_CHROMIUM=missing)
    assert result.log.count("needs a browser") == 1
    assert f"no browser at {missing}" in result.log
    assert result.stats["mizan/browser/unavailable"] == len(codes)
    assert result.stats["mizan/browser/challenges"] == len(codes)
    assert result.stats["mizan/skipped/not_an_article"] == len(codes)
    assert "mizan/browser/renders" not in result.stats


def test_plain_crawls_start_no_browser(
    replica: ReplicaServer, chromium: str, tmp_path: Path
) -> None:
    codes = _codes(replica)
    result = _crawl(replica, tmp_path, codes, MIZAN_CHROMIUM=chromium)
    assert result.returncode == 0, result.log
    _assert_complete(replica, result, codes)
    assert not any(name.startswith(("mizan/browser/", "playwright/")) for name in result.stats)
    assert "Starting download handler" not in result.log  # Playwright itself never started


def _descendants(root: int) -> set[int]:
    """Process ids under ``root`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _browser_process(root: int) -> int | None:
    """The main Chromium process a crawl started (its renderers and helpers have ``--type=``;
    Debian's launcher script has the same arguments until it hands over to Chromium)."""
    for pid in _descendants(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            program = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        is_browser = "--remote-debugging-pipe" in command and "--type=" not in command
        if is_browser and "chromium" in program:
            return pid
    return None


def test_a_render_that_times_out_is_retried(chromium: str, tmp_path: Path) -> None:
    """The browser gives up on a page slower than DOWNLOAD_TIMEOUT; the render is retried after a
    back-off, as a plain request that times out would be, and the article is not lost."""
    with ReplicaServer(Corpus(40, seed=3), faults=FaultPlan(slow_seconds=4)) as site:
        codes = _pick(site, 2, kind="news")
        slow = f"/fa/news/{codes[0]}"
        site.script(slow, Reply(200, site.answer(slow, "").body, fault="slow"))
        settings = {"MIZAN_PLAYWRIGHT": "always", "MIZAN_CHROMIUM": chromium}
        settings |= {"DOWNLOAD_TIMEOUT": "2", "MIZAN_BACKOFF_BASE": "0.1"}
        result = _crawl(site, tmp_path, codes, **settings)
        assert sorted(item["news_code"] for item in result.items) == sorted(codes), result.log
        assert len(site.requests_for(slow)) == 2
    assert result.stats["retry/count"] == 1
    assert "TimeoutError on" in result.log and "retrying in 0.1 s" in result.log
    assert "mizan/failed/TimeoutError" not in result.stats


def test_a_browser_that_dies_is_started_again(
    replica: ReplicaServer, chromium: str, tmp_path: Path
) -> None:
    codes = _pick(replica, 30, kind="news")
    urls = ",".join(f"{replica.base_url}/fa/news/{code}" for code in codes)
    running = start_crawl(
        "article",
        replica.base_url,
        tmp_path,
        f"urls={urls}",
        settings={"MIZAN_PLAYWRIGHT": "always", "MIZAN_CHROMIUM": chromium},
    )
    deadline = time.monotonic() + 30
    browser = None
    while browser is None and time.monotonic() < deadline:
        time.sleep(0.1)
        browser = _browser_process(running.process.pid)
    assert browser is not None, "the crawl started no browser"
    time.sleep(0.3)  # pages are being opened and rendered
    os.kill(browser, signal.SIGKILL)
    result = running.wait(timeout=120)
    assert sorted(item["news_code"] for item in result.items) == sorted(codes), result.log
    assert result.stats["playwright/browser_count"] >= 2
    assert result.stats["mizan/browser/renders"] >= len(codes)
