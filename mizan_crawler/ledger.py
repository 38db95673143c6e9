"""The coverage ledger, read: which stretches of the site's timeline runs have read, and so how
far back the next scheduled run must walk.

The ledger holds what runs actually covered (see ``store.CoverageMark``), never an inference from
the newest stored article: a run stopped early (SIGKILL, an item-count stop, a page limit, a
refusing site, a store outage) leaves only what it read, so the hole below it stays visible until
a later run reads it. Everything here is a pure function of the marks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .dates import TEHRAN
from .store import CoverageMark

# Spans of the timeline that read it: the listing walk of ``news`` and completed backfills.
TIMELINE_SOURCES = ("news", "backfill")
GOAL = "news_goal"
Span = tuple[int, int]


def merged(spans: Iterable[Span], slack: int = 0) -> list[Span]:
    """``spans`` joined where they overlap or lie within ``slack`` of each other, oldest first."""
    blocks: list[Span] = []
    for first, last in sorted(spans):
        if blocks and first <= blocks[-1][1] + slack:
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], last))
        else:
            blocks.append((first, last))
    return blocks


def timeline(marks: Iterable[CoverageMark], slack: int = 0) -> list[Span]:
    """The covered blocks of the timeline (epoch seconds), oldest first."""
    return merged(((m.first, m.last) for m in marks if m.source in TIMELINE_SOURCES), slack)


def goal(marks: Iterable[CoverageMark]) -> int | None:
    """How far back scheduled runs must have read: the oldest goal any run set."""
    return min((m.first for m in marks if m.source == GOAL), default=None)


@dataclass(frozen=True)
class Reach:
    """Where a scheduled run stands: the goal, and the top of the covered block that holds it
    (``None`` while nothing from the goal up has been read)."""

    goal: int
    covered_to: int | None

    @property
    def stop_at(self) -> int:
        """The point the next walk must get back to (before any safety margin)."""
        return self.goal if self.covered_to is None else self.covered_to


def reach(marks: Iterable[CoverageMark], goal_epoch: int, slack: int = 0) -> Reach:
    """How far the ledger reads without a hole upward from ``goal_epoch``."""
    for first, last in timeline(marks, slack):
        if first <= goal_epoch <= last:
            return Reach(goal_epoch, last)
    return Reach(goal_epoch, None)


def holes(marks: Iterable[CoverageMark], since: int, until: int, slack: int = 0) -> list[Span]:
    """The stretches of ``[since, until]`` no run has read."""
    found, cursor = [], since
    for first, last in timeline(marks, slack):
        if last < cursor or first > until:
            continue
        if first > cursor:
            found.append((cursor, first))
        cursor = max(cursor, last)
    if cursor < until:
        found.append((cursor, until))
    return found


def moment(epoch: int) -> str:
    """An epoch as Iran time, to the minute, for people."""
    return datetime.fromtimestamp(epoch, TEHRAN).isoformat(timespec="minutes")


def describe(marks: list[CoverageMark]) -> list[str]:
    """The ledger as lines for ``mizan-crawler stats``."""
    lines = []
    target = goal(marks)
    blocks = timeline(marks)
    if target is not None:
        lines.append(f"scheduled crawls read back to: {moment(target)}")
    for first, last in blocks:
        lines.append(f"  timeline read: {moment(first)} to {moment(last)}")
    if target is not None and blocks:
        for first, last in holes(marks, target, blocks[-1][1]):
            lines.append(f"  not yet read: {moment(first)} to {moment(last)}")
    ranges = merged((m.first, m.last) for m in marks if m.source == "codes")
    for first, last in ranges:
        lines.append(f"  news codes read: {first}-{last}")
    return lines or ["no run has recorded its coverage yet"]
