"""The exit status of a crawl, from its final stats."""

from __future__ import annotations

from typing import Any

OK = 0
STOPPED = 2  # the crawl ended for another reason than finishing its work
MONITOR_FAILED = 3  # a monitor found the crawl's output wanting


def exit_status(stats: dict[str, Any]) -> int:
    """0 for a crawl that finished and passed its monitors."""
    if stats.get("mizan/monitors/failed"):
        return MONITOR_FAILED
    if stats.get("finish_reason", "finished") != "finished":
        return STOPPED
    return OK
