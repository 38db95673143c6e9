"""What crawls observe of the site beside its articles: sitemap entries and withdrawals.

Written by ``Store.write`` in the same transaction as the batch they came with, like the ledger.

- ``sitemap_entries``: one row per news code a backfill read in an archive urlset, with the
  entry's ``lastmod`` and ``<news:publication_date>``, the urlset and when it was read
  (``seen_at``, UTC). ``fetched_lastmod`` is the listed ``lastmod`` the stored version is known
  to include: set whenever the article is written from a fetch made after that reading
  (``crawled_at >= seen_at``), by any crawl. ``backfill -a refresh=changed`` re-fetches an article
  only when its listed ``lastmod`` is later than that.
- ``withdrawals``: one row per time a stored article was found gone (404, 410 or the CMS error
  page) and, once a crawl reads it again, when it came back (``restored_at``). ``articles.
  withdrawn_at`` is the current state: the first crawl that found it gone, null again once it is
  back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

UPSERT_SITEMAP_ENTRY = (
    "INSERT INTO sitemap_entries (news_code, lastmod, publication_date, urlset, seen_at) "
    "VALUES (:news_code, :lastmod, :publication_date, :urlset, :seen_at) "
    "ON CONFLICT (news_code) DO UPDATE SET lastmod = excluded.lastmod, "
    "publication_date = excluded.publication_date, urlset = excluded.urlset, "
    "seen_at = excluded.seen_at"
)
# The stored version came from a fetch made after the sitemap was read: it holds that lastmod.
MARK_FETCHED = (
    "UPDATE sitemap_entries SET fetched_lastmod = lastmod "
    "WHERE news_code = :news_code AND seen_at <= :crawled_at"
)
MARK_WITHDRAWN = (
    "UPDATE articles SET withdrawn_at = :at "
    "WHERE news_code = :news_code AND withdrawn_at IS NULL RETURNING news_code"
)
RECORD_WITHDRAWAL = (
    "INSERT INTO withdrawals (news_code, withdrawn_at) VALUES (:news_code, :at) "
    "ON CONFLICT (news_code, withdrawn_at) DO NOTHING"
)
RESTORE_ARTICLE = "UPDATE articles SET withdrawn_at = NULL WHERE news_code = :news_code"
RECORD_RESTORATION = (
    "UPDATE withdrawals SET restored_at = :at WHERE news_code = :news_code AND restored_at IS NULL"
)
SELECT_SITEMAP_ENTRIES = (
    "SELECT news_code, lastmod, publication_date, urlset, seen_at, fetched_lastmod "
    "FROM sitemap_entries ORDER BY news_code"
)
# Every stored article and every sitemap entry, one row per news code (the completeness report):
# a stored article with its entry if a urlset listed it, then the entries of codes not stored.
SELECT_LISTING = (
    "SELECT a.news_code, 1 AS stored, a.published_epoch, a.withdrawn_at, s.urlset, s.lastmod, "
    "s.publication_date FROM articles a LEFT JOIN sitemap_entries s ON s.news_code = a.news_code "
    "UNION ALL SELECT s.news_code, 0 AS stored, NULL AS published_epoch, NULL AS withdrawn_at, "
    "s.urlset, s.lastmod, s.publication_date FROM sitemap_entries s "
    "WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.news_code = s.news_code) "
    "ORDER BY news_code"
)
SELECT_WITHDRAWALS = (
    "SELECT news_code, withdrawn_at, restored_at FROM withdrawals ORDER BY news_code, withdrawn_at"
)


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One urlset entry as a backfill read it (``seen_at`` ISO 8601 UTC). Small, and sharing
    the parsed times and the urlset's strings: a backfill holds one per entry until its first
    batch is written."""

    news_code: int
    lastmod: datetime | None
    publication_date: datetime | None
    urlset: str
    seen_at: str

    def params(self) -> dict[str, Any]:
        return {
            "news_code": self.news_code,
            "lastmod": _iso(self.lastmod),
            "publication_date": _iso(self.publication_date),
            "urlset": self.urlset,
            "seen_at": self.seen_at,
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass
class Observations:
    """What one write carries beside the records: sitemap entries (by news code) and stored
    articles found gone (news code: when, ISO 8601 UTC)."""

    sitemap_entries: dict[int, SitemapEntry] = field(default_factory=dict)
    gone: dict[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.sitemap_entries or self.gone)

    def merged_under(self, newer: Observations) -> Observations:
        """These (from a write that failed) with ``newer`` ones taking precedence."""
        return Observations(
            {**self.sitemap_entries, **newer.sitemap_entries},
            {**newer.gone, **self.gone},  # the first time it was found gone is the one kept
        )


@dataclass(frozen=True)
class FetchBasis:
    """What decides whether a stored article was edited since it was fetched: the listed
    ``lastmod`` its stored version includes (if known), and when it was last fetched."""

    fetched_lastmod: datetime | None
    last_seen_at: datetime | None
