"""What a researcher must know of the counts: days without a stored article, days far below
their usual count, and news-code ranges with no article. Pure functions of a ``Tally``.

- **A day far below its usual count**: fewer stored articles than a third (``LOW_FRACTION``) of
  its usual count, the median of the stored counts of the 28 days around it (``WINDOW``: 14 on
  each side, inside the report's span, the day itself left out), when that median is at least 3
  (``LOW_FLOOR``: on a site publishing one or two articles a day, a quiet day is no finding) and
  at least 7 such days exist. A day with no stored article is both in its run of empty days and,
  when its neighbours are busy, a low day.
- **A news-code range with no article**: two stored codes next to each other (in rising order)
  further apart than ``GAP_FACTOR`` (10) times the usual stride, the median difference between
  neighbouring stored codes: codes are handed out in order, with small steps, so a wide step is a
  stretch of the archive the store lacks (or a jump of the site's numbering, such as the one from
  six to seven digits). Each range says how many listed, missing codes lie inside it.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from .tally import Tally

WINDOW = 28
LOW_FRACTION = 1 / 3
LOW_FLOOR = 3.0
LOW_MIN_NEIGHBOURS = 7
GAP_FACTOR = 10


@dataclass(frozen=True)
class EmptyRun:
    """Consecutive days of the span with no stored article, and how many articles the sitemaps
    list on them."""

    first: date
    last: date
    listed: int

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class LowDay:
    """A day far below its usual count (``usual``: the median of its neighbours)."""

    day: date
    stored: int
    listed: int
    usual: float


@dataclass(frozen=True)
class CodeGap:
    """Stored codes ``after`` and ``before`` with no stored code between them, ``listed`` of the
    codes between listed in the sitemaps (and so missing)."""

    after: int
    before: int
    listed: int

    @property
    def codes_between(self) -> int:
        return self.before - self.after - 1


def span(counted: Tally) -> list[date]:
    """Every day of the report: its range, or where no bound is given, the first or last day
    holding a stored or listed article."""
    known = sorted(counted.days)
    first = counted.since or (known[0] if known else None)
    last = counted.until or (known[-1] if known else None)
    if first is None or last is None or first > last:
        return []
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def empty_runs(counted: Tally, days: Sequence[date]) -> list[EmptyRun]:
    """Runs of ``days`` with no stored article, oldest first."""
    runs: list[EmptyRun] = []
    for day in days:
        counts = counted.days.get(day)
        if counts is not None and counts.stored:
            continue
        listed = counts.listed if counts else 0
        if runs and runs[-1].last == day - timedelta(days=1):
            runs[-1] = EmptyRun(runs[-1].first, day, runs[-1].listed + listed)
        else:
            runs.append(EmptyRun(day, day, listed))
    return runs


def low_days(counted: Tally, days: Sequence[date]) -> list[LowDay]:
    """The days of ``days`` far below their usual count (see the module's docstring)."""
    stored = [counted.days[day].stored if day in counted.days else 0 for day in days]
    half = WINDOW // 2
    found = []
    for index, day in enumerate(days):
        around = stored[max(0, index - half) : index] + stored[index + 1 : index + 1 + half]
        if len(around) < LOW_MIN_NEIGHBOURS:
            continue
        usual = median(around)
        if usual >= LOW_FLOOR and stored[index] < usual * LOW_FRACTION:
            listed = counted.days[day].listed if day in counted.days else 0
            found.append(LowDay(day, stored[index], listed, usual))
    return found


def usual_stride(codes: Sequence[int]) -> float | None:
    """The median difference between neighbouring stored codes (``None`` for fewer than 2)."""
    if len(codes) < 2:
        return None
    return median(later - earlier for earlier, later in itertools.pairwise(codes))


def code_gaps(codes: Sequence[int], missing: Sequence[int]) -> list[CodeGap]:
    """The ranges between neighbouring stored ``codes`` wider than ``GAP_FACTOR`` usual strides,
    each with how many of the (sorted) ``missing`` codes lie inside."""
    stride = usual_stride(codes)
    if stride is None:
        return []
    gaps = []
    for earlier, later in itertools.pairwise(codes):
        if later - earlier > GAP_FACTOR * stride:
            inside = bisect.bisect_left(missing, later) - bisect.bisect_right(missing, earlier)
            gaps.append(CodeGap(earlier, later, inside))
    return gaps
