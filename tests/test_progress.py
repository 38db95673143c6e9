"""Progress of long runs: the wording as pure functions, the status line, and a real crawl's log."""

from __future__ import annotations

import io
import logging
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mizan_crawler.progress import (
    LiveLine,
    done_count,
    error_count,
    eta,
    format_duration,
    format_progress,
)
from mizan_crawler.replica import ReplicaServer

from .crawling import run_crawl

SLOW = {"MIZAN_PROGRESS_INTERVAL": "0.2", "DOWNLOAD_DELAY": "0.2", "DOWNLOAD_DELAY_JITTER": "0"}


def _codes(replica: ReplicaServer, count: int) -> list[int]:
    return [article.news_code for article in replica.corpus if not article.withdrawn][:count]


@pytest.mark.parametrize(
    ("done", "total", "rate", "seconds"),
    [(10, 100, 30.0, 180.0), (0, 50, 10.0, 300.0), (100, 100, 5.0, 0.0), (120, 100, 5.0, 0.0)],
)
def test_eta(done: int, total: int, rate: float, seconds: float) -> None:
    assert eta(done, total, rate) == seconds


@pytest.mark.parametrize(("total", "rate"), [(None, 30.0), (0, 30.0), (100, 0.0)])
def test_eta_unknown(total: int | None, rate: float) -> None:
    assert eta(5, total, rate) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (44.6, "45s"),
        (60, "1m 00s"),
        (725, "12m 05s"),
        (3600, "1h 00m"),
        (11000, "3h 03m"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_progress_with_a_total() -> None:
    assert format_progress(120, 1000, 30.0, 2) == (
        "done 120 / 1000 (12.0%), 30.0 articles/min, about 29m 20s left, 2 errors"
    )


def test_format_progress_without_a_total() -> None:
    assert format_progress(7, None, 12.25, 1) == "done 7, 12.2 articles/min, 1 error"
    assert format_progress(0, None, 0.0, 0) == "done 0, 0.0 articles/min, 0 errors"


def test_format_progress_before_any_rate() -> None:
    assert format_progress(0, 40, 0.0, 0) == "done 0 / 40 (0.0%), 0.0 articles/min, 0 errors"


def test_done_and_error_counts_from_stats() -> None:
    stats = {
        "item_scraped_count": 5,
        "mizan/skipped/http_404": 2,
        "mizan/skipped/not_an_article": 1,
        "mizan/failed/TimeoutError": 1,
        "log_count/ERROR": 3,
        "response_received_count": 99,
    }
    assert done_count(stats) == 8
    assert error_count(stats) == 3  # the failure's ERROR line is among the three
    assert error_count({"mizan/failed/TimeoutError": 2}) == 2  # ERROR lines not counted
    assert done_count({}) == error_count({}) == 0


def test_live_line_redraws_in_place_and_clears() -> None:
    stream = io.StringIO()
    line = LiveLine(stream)
    line.clear()
    assert stream.getvalue() == ""
    line.draw("done 1")
    line.draw("done 2")
    assert "\n" not in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[Kdone 2")
    line.clear()
    assert stream.getvalue().endswith("done 2\r\x1b[K")


def test_live_line_makes_room_for_log_records() -> None:
    stream = io.StringIO()
    line = LiveLine(stream)
    handler = logging.StreamHandler(stream)
    handler.addFilter(line)
    logger = logging.getLogger("tests.progress.live")
    logger.addHandler(handler)
    try:
        line.draw("done 3")
        logger.warning("a record")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "\r\x1b[Kdone 3\r\x1b[Ka record\n"


def test_a_crawl_logs_progress_and_a_summary(replica: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(replica, 5)
    urls = "urls=" + ",".join(map(str, codes))
    result = run_crawl("article", replica.base_url, tmp_path, urls, settings=SLOW)
    assert result.returncode == 0, result.log
    progress = [line for line in result.log.splitlines() if "INFO: Progress: done " in line]
    assert len(progress) >= 3
    assert "articles/min" in progress[-1] and "errors" in progress[-1]
    summary = [
        line for line in result.log.splitlines() if "INFO: Crawl closed (finished) after " in line
    ]
    assert len(summary) == 1
    assert ": done 5 / 5 (100.0%), " in summary[0] and summary[0].endswith(", 0 errors")
    assert "\r" not in result.log  # not a terminal: no live line


def test_progress_can_be_turned_off(replica: ReplicaServer, tmp_path: Path) -> None:
    code = _codes(replica, 1)[0]
    settings = {"MIZAN_PROGRESS_INTERVAL": "0"}
    result = run_crawl("article", replica.base_url, tmp_path, f"urls={code}", settings=settings)
    assert result.returncode == 0, result.log
    assert "Progress:" not in result.log and "Crawl closed (finished) after" not in result.log


def test_a_terminal_gets_a_live_status_line(replica: ReplicaServer, tmp_path: Path) -> None:
    codes = _codes(replica, 8)
    command = [sys.executable, "-m", "mizan_crawler", "crawl", "article"]
    command += ["-a", "urls=" + ",".join(map(str, codes)), "-s", "AUTOTHROTTLE_ENABLED=False"]
    for name, value in SLOW.items():
        command += ["-s", f"{name}={value}"]
    environment = {**os.environ, "MIZAN_BASE_URL": replica.base_url}
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        command, cwd=tmp_path, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    chunks: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(main, chunks))
    reader.start()
    assert process.wait(timeout=120) == 0
    reader.join(timeout=10)
    os.close(main)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "\r\x1b[Kdone " in screen  # redrawn in place
    assert "Crawl closed (finished) after" in screen
    last_draw = screen.rindex("\r\x1b[Kdone ")
    assert "\r\x1b[K" in screen[last_draw + 1 :]  # and wiped before the end


def _read_all(fd: int, chunks: list[bytes]) -> None:
    """Everything written to a pseudo-terminal, until its last writer closes it."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return
        if not chunk:
            return
        chunks.append(chunk)
