"""Which sitemap entries a backfill must fetch, from their ``lastmod``, news codes and, where the
sitemap gives it, ``<news:publication_date>``.

An entry with a publication date is decided by it: fetched exactly when it lies in the range, no
guess needed. Otherwise the sitemap gives only the last modification: ``published <= lastmod``.
News codes mostly rise with publication time, but not strictly: a CMS gives the code when an item
is created, and a draft published hours later has a lower code than articles published before it.
So, for a range [start, end]:

- an entry last modified before ``start`` was published before it: out. Nothing else is ruled out
  by its code (a lower code than such an entry may be a draft published inside the range);
- ``ceiling`` is the highest code last modified by ``end`` (so surely published by then): codes up
  to it are fetched, and each is kept only if its page shows a publication inside the range (an
  article published before ``start`` and edited inside the range is fetched, not kept);
- codes above ``ceiling`` were all modified after ``end``: articles of the range edited after it,
  drafts of the range's last hours published after it, and everything published later. They are
  fetched one at a time in rising order (the ``chain``) until ``lookahead`` codes in a row turn out
  to be published after ``end``: a run of such codes below one published in the range can only be
  drafts still waiting at ``end``, never more than the site creates in the hours a draft waits.

Nothing inside the range is missed, and a bounded number of pages outside it is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import jdatetime

from ..dates import TEHRAN
from ..store.observations import FetchBasis

JALALI_YEAR_LIMIT = 1700


@dataclass(frozen=True)
class Plan:
    """Codes to fetch at once, codes to walk in order, and how many entries were ruled out by
    their ``lastmod`` and by their publication date."""

    fetch: tuple[int, ...]
    chain: tuple[int, ...]
    excluded: int
    excluded_by_date: int = 0


def plan_sitemap_fetches(
    lastmods: Mapping[int, datetime | None],
    start: datetime,
    end: datetime,
    published: Mapping[int, datetime] | None = None,
) -> Plan:
    """Split sitemap entries for a backfill of [start, end]: ``lastmods`` (news code: lastmod) of
    entries without a publication date, ``published`` (news code: publication) of those with one."""
    dated = published or {}
    in_range = {code for code, moment in dated.items() if start <= moment <= end}
    undated = {code: lastmod for code, lastmod in lastmods.items() if code not in dated}
    candidates = sorted(
        code for code, lastmod in undated.items() if lastmod is None or lastmod >= start
    )
    settled = [code for code in candidates if (lastmod := undated[code]) and lastmod <= end]
    ceiling = max(settled, default=-1)
    fetch = sorted(in_range.union(code for code in candidates if code <= ceiling))
    return Plan(
        fetch=tuple(fetch),
        chain=tuple(code for code in candidates if code > ceiling),
        excluded=len(undated) - len(candidates),
        excluded_by_date=len(dated) - len(in_range),
    )


def edited_since_fetched(
    listed: Mapping[int, datetime | None], basis: Mapping[int, FetchBasis]
) -> set[int]:
    """Stored codes (those in ``basis``) whose listed ``lastmod`` is later than the ``lastmod``
    their stored version is known to include, or, where none was recorded (stored by a crawl that
    read no urlset, or before the store kept them), than when they were last fetched. An entry
    without ``lastmod`` says nothing: not fetched."""
    edited = set()
    for code, lastmod in listed.items():
        known = basis.get(code)
        if lastmod is None or known is None:
            continue
        since = known.fetched_lastmod or known.last_seen_at
        if since is None or lastmod > since:
            edited.add(code)
    return edited


def chain_stops(after_in_a_row: int, lookahead: int) -> bool:
    """Whether the walk above the ceiling ends: ``lookahead`` codes in a row were published after
    the range (1 is the old rule for codes that rise strictly with publication time)."""
    return after_in_a_row >= max(1, lookahead)


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
