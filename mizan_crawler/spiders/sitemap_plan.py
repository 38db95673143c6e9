"""Which sitemap entries a backfill must fetch, from their ``lastmod`` and news codes alone.

A sitemap gives each article's last modification, not its publication: ``published <= lastmod``.
News codes rise with publication time. So, for a range [start, end]:

- an entry last modified before ``start`` was published before it: out, and so is every lower
  code (``floor`` is the highest such code);
- an entry last modified by ``end`` was published by ``end``, and so was every lower code
  (``ceiling`` is the highest such code): codes in (floor, ceiling] are fetched, and each is kept
  only if its page shows a publication inside the range (an article published just before
  ``start`` and edited inside the range is fetched but not kept);
- codes above ``ceiling`` may be articles of the range edited after it: they are fetched one at a
  time in rising order until one turns out to be published after ``end`` (the ``chain``).

Nothing inside the range is missed, and only a handful of pages outside it are fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import jdatetime

from ..dates import TEHRAN

JALALI_YEAR_LIMIT = 1700


@dataclass(frozen=True)
class Plan:
    """Codes to fetch at once, codes to walk in order, and how many entries were ruled out."""

    fetch: tuple[int, ...]
    chain: tuple[int, ...]
    excluded: int


def plan_sitemap_fetches(
    lastmods: Mapping[int, datetime | None], start: datetime, end: datetime
) -> Plan:
    """Split sitemap entries (news code: lastmod) for a backfill of [start, end]."""
    before = [code for code, lastmod in lastmods.items() if lastmod is not None and lastmod < start]
    floor = max(before, default=-1)
    candidates = sorted(code for code in lastmods if code > floor)
    settled = [
        code for code in candidates if (lastmod := lastmods[code]) is not None and lastmod <= end
    ]
    ceiling = max(settled, default=floor)
    fetch = tuple(code for code in candidates if code <= ceiling)
    chain = tuple(code for code in candidates if code > ceiling)
    return Plan(fetch=fetch, chain=chain, excluded=len(lastmods) - len(candidates))


def urlset_month(url: str, pattern: re.Pattern[str]) -> tuple[datetime, datetime] | None:
    """The first and last instant of the month a urlset's URL names (Jalali when the year is
    below 1700), or ``None`` when the URL names no month."""
    match = pattern.search(url)
    if not match:
        return None
    year, month = int(match.group("year")), int(match.group("month"))
    if not 1 <= month <= 12:
        return None
    if year < JALALI_YEAR_LIMIT:
        first = jdatetime.date(year, month, 1).togregorian()
        following = jdatetime.date(year + month // 12, month % 12 + 1, 1).togregorian()
    else:
        first = datetime(year, month, 1).date()
        following = datetime(year + month // 12, month % 12 + 1, 1).date()
    start = datetime(first.year, first.month, first.day, tzinfo=TEHRAN)
    end = datetime(following.year, following.month, following.day, tzinfo=TEHRAN) - timedelta(
        seconds=1
    )
    return start, end
