"""How far a crawl has got, in words: small pure functions, and a status line redrawn on a terminal.

The extension that reads the crawl's stats and calls these lives in ``extensions.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TextIO


def done_count(stats: Mapping[str, Any]) -> int:
    """Pages finished: articles scraped plus pages that were no article (``mizan/skipped/*``)."""
    return stats.get("item_scraped_count", 0) + _sum_under(stats, "mizan/skipped/")


def error_count(stats: Mapping[str, Any]) -> int:
    """Errors so far: ERROR log lines, or failed requests (``mizan/failed/*``) if more.

    Not their sum: the spider logs every failed request at ERROR too, so adding would count each
    twice. The larger still counts failures when ERROR lines are not counted (``LOG_LEVEL``
    above ERROR).
    """
    return max(stats.get("log_count/ERROR", 0), _sum_under(stats, "mizan/failed/"))


def _sum_under(stats: Mapping[str, Any], prefix: str) -> int:
    return sum(value for key, value in stats.items() if key.startswith(prefix))


def eta(done: int, total: int | None, rate: float) -> float | None:
    """Seconds left at ``rate`` pages a minute; ``None`` when unknown (no total, no rate yet)."""
    if not total or rate <= 0:
        return None
    return max(0, total - done) / rate * 60


def format_duration(seconds: float) -> str:
    """``45s``, ``12m 05s``, ``3h 02m``: as precise as a reader of a long run cares."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_progress(done: int, total: int | None, rate: float, errors: int) -> str:
    """One line: done / total (percent), articles a minute, time left, errors so far.

    Without a known total, only what is known: done, rate and errors.
    """
    parts = [f"done {done}"]
    if total:
        parts = [f"done {done} / {total} ({100 * done / total:.1f}%)"]
    parts.append(f"{rate:.1f} articles/min")
    left = eta(done, total, rate)
    if left is not None:
        parts.append(f"about {format_duration(left)} left")
    parts.append(f"{errors} error" + ("" if errors == 1 else "s"))
    return ", ".join(parts)


class LiveLine(logging.Filter):
    """One status line on a terminal, redrawn in place (``\\r``, no newline).

    As a filter on the log handlers that write to the same stream it wipes the line before a log
    record is printed, so records never run into it; the next redraw puts it back below them.
    """

    CLEAR = "\r\x1b[K"

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.shown = False

    def draw(self, text: str) -> None:
        """Replace the line with ``text``."""
        self.stream.write(f"{self.CLEAR}{text}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Wipe the line, if drawn, leaving the cursor at its start."""
        if self.shown:
            self.stream.write(self.CLEAR)
            self.stream.flush()
            self.shown = False

    def filter(self, record: logging.LogRecord) -> bool:
        self.clear()
        return True
