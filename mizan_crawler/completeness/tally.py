"""The store read once into counts of stored, listed, missing and withdrawn articles, per Iran
day and per Jalali month.

What each word means (the README's "Completeness" says the same):

- **stored**: an article in the store, on the Iran-time day of its ``published_at``. One without a
  readable date is in no day and no month; it is counted apart, and only when no days are chosen.
- **listed**: an entry of the site's sitemap archive that a backfill read (``sitemap_entries``;
  a backfill records every entry of each urlset it reads, including days outside its range). The
  month it counts in is the Jalali month its urlset's URL names (the archive files articles by
  publication month: the site's own word), else the month of its day. Its **day**: the stored
  article's publication day when it is stored; else the entry's ``<news:publication_date>``; else
  its ``lastmod``, which is an upper bound (the article was published by then; for one never
  edited, it is the publication), used only when it lies inside the urlset's month. Otherwise the
  day is unknown: the entry counts in its month and in no day. How many missing entries were dated
  by ``lastmod``, and how many have no day, is reported.
- **missing**: listed, and not in the store. A withdrawn article is stored, so never missing.
- **withdrawn**: stored, with ``withdrawn_at`` set (the site stopped serving it), on its
  publication day.

With a range of days, an article counts when its day is inside it, and a listed entry without a
day when its month overlaps it.
"""

from __future__ import annotations

import re
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import jdatetime

from ..dates import TEHRAN
from ..settings import MIZAN_SITEMAP_MONTH_PATTERN
from ..spiders.sitemap_plan import urlset_month
from ..store import Store

DETAIL_LIMIT = 500  # missing and withdrawn articles kept one by one; beyond that only counted
UrlsetMonth = tuple[str | None, tuple[datetime, datetime] | None]


@dataclass
class Counts:
    """Articles of one day, one month or the whole report."""

    stored: int = 0
    listed: int = 0
    missing: int = 0
    withdrawn: int = 0


@dataclass(frozen=True)
class Missing:
    """A listed article the store does not hold; ``dated_by`` says where its day comes from:
    ``publication_date``, ``lastmod`` (an upper bound) or ``unknown`` (no day)."""

    news_code: int
    day: date | None
    dated_by: str


@dataclass(frozen=True)
class Withdrawn:
    """A stored article the site no longer serves (``withdrawn_at``: first found gone, UTC)."""

    news_code: int
    day: date | None
    withdrawn_at: str


@lru_cache(maxsize=4096)
def jalali_month(day: date) -> str:
    """The Jalali month of a Gregorian day, as ``1403-02``."""
    jalali = jdatetime.date.fromgregorian(date=day)
    return f"{jalali.year:04d}-{jalali.month:02d}"


def month_days(month: str) -> tuple[date, date]:
    """The first and last Gregorian day of a Jalali month ``1403-02``."""
    year, number = (int(part) for part in month.split("-"))
    first = jdatetime.date(year, number, 1).togregorian()
    following = jdatetime.date(year + number // 12, number % 12 + 1, 1).togregorian()
    return first, following - timedelta(days=1)


def iran_day(value: str | int | None) -> date | None:
    """The Iran-time day of an ISO 8601 moment or an epoch (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, int):
        return datetime.fromtimestamp(value, TEHRAN).date()
    return datetime.fromisoformat(value).astimezone(TEHRAN).date()


def urlset_months(pattern: str) -> Callable[[str], UrlsetMonth]:
    """For a urlset URL: the Jalali month it names (``None`` when it names none, or a Gregorian
    month across two Jalali ones) and the span of the month it names (``None`` if none)."""
    compiled = re.compile(pattern)

    @lru_cache(maxsize=1024)
    def month_of(url: str) -> UrlsetMonth:
        span = urlset_month(url, compiled)
        if span is None:
            return None, None
        first, last = (jalali_month(moment.date()) for moment in span)
        return (first if first == last else None), span

    return month_of


def _entry_day(
    row: dict[str, Any], span: tuple[datetime, datetime] | None
) -> tuple[date | None, str]:
    """The day of a listed entry whose article is not stored, and what dated it."""
    if row["publication_date"] is not None:
        return iran_day(row["publication_date"]), "publication_date"
    lastmod = row["lastmod"]
    if lastmod is not None and (
        span is None or span[0] <= datetime.fromisoformat(lastmod) <= span[1]
    ):
        return iran_day(lastmod), "lastmod"
    return None, "unknown"


@dataclass
class Tally:
    """Counts per day and per Jalali month over ``[since, until]`` (inclusive; ``None``: open),
    the stored and the missing news codes in rising order, and the missing and withdrawn
    articles one by one (the first ``DETAIL_LIMIT`` of each)."""

    since: date | None = None
    until: date | None = None
    days: defaultdict[date, Counts] = field(default_factory=lambda: defaultdict(Counts))
    months: defaultdict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    total: Counts = field(default_factory=Counts)
    stored_codes: array[int] = field(default_factory=lambda: array("q"))
    missing_codes: array[int] = field(default_factory=lambda: array("q"))
    missing: list[Missing] = field(default_factory=list)
    withdrawn: list[Withdrawn] = field(default_factory=list)
    undated: int = 0  # stored articles without a readable date
    dated_by_lastmod: int = 0  # missing entries whose day is their lastmod
    without_day: int = 0  # missing entries with no day at all

    @property
    def ranged(self) -> bool:
        return self.since is not None or self.until is not None

    def within(self, day: date) -> bool:
        """Whether ``day`` is in the report's range."""
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def _month_within(self, month: str) -> bool:
        first, last = month_days(month)
        return (self.since is None or last >= self.since) and (
            self.until is None or first <= self.until
        )

    def _buckets(self, day: date | None, month: str | None) -> list[Counts]:
        buckets = [self.total]
        if day is not None:
            buckets.append(self.days[day])
        if month is not None:
            buckets.append(self.months[month])
        return buckets

    def add(self, row: dict[str, Any], month_of: Callable[[str], UrlsetMonth]) -> None:
        """Count one row of ``Store.listing()``."""
        stored = bool(row["stored"])
        day = iran_day(row["published_epoch"]) if stored else None
        if stored:
            self._add_stored(int(row["news_code"]), day, row["withdrawn_at"])
        if row["urlset"] is not None:
            self._add_listed(row, day if stored else None, stored, month_of(row["urlset"]))

    def _add_stored(self, code: int, day: date | None, withdrawn_at: str | None) -> None:
        if day is None:
            if self.ranged:
                return
            self.undated += 1
        elif not self.within(day):
            return
        self.stored_codes.append(code)
        for counts in self._buckets(day, day and jalali_month(day)):
            counts.stored += 1
            counts.withdrawn += withdrawn_at is not None
        if withdrawn_at is not None and len(self.withdrawn) < DETAIL_LIMIT:
            self.withdrawn.append(Withdrawn(code, day, withdrawn_at))

    def _add_listed(
        self, row: dict[str, Any], day: date | None, stored: bool, urlset: UrlsetMonth
    ) -> None:
        month, span = urlset
        dated_by = "article"
        if day is None:
            day, dated_by = _entry_day(row, span)
        month = month or (day and jalali_month(day))
        if day is not None and not self.within(day):
            return
        if day is None and self.ranged and (month is None or not self._month_within(month)):
            return
        for counts in self._buckets(day, month):
            counts.listed += 1
            counts.missing += not stored
        if not stored:
            self._note_missing(int(row["news_code"]), day, dated_by)

    def _note_missing(self, code: int, day: date | None, dated_by: str) -> None:
        self.missing_codes.append(code)
        self.dated_by_lastmod += dated_by == "lastmod"
        self.without_day += day is None
        if len(self.missing) < DETAIL_LIMIT:
            self.missing.append(Missing(code, day, dated_by))


def tally(
    store: Store,
    since: date | None = None,
    until: date | None = None,
    month_pattern: str = MIZAN_SITEMAP_MONTH_PATTERN,
) -> Tally:
    """Count the store's articles and sitemap entries over ``[since, until]`` in one streamed
    pass (``month_pattern``: how a urlset's URL names its month, as the backfill reads it)."""
    counted = Tally(since, until)
    month_of = urlset_months(month_pattern)
    for row in store.listing():
        counted.add(row, month_of)
    return counted
