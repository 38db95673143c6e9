"""How an ``Article`` record maps to store rows and back."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ..items import ARTICLE_FIELDS

LIST_FIELDS = ("tags", "image_urls")
# Record fields stored in both tables, in a fixed order (``news_code`` is the key).
RECORD_COLUMNS = ARTICLE_FIELDS
# Extra columns of ``articles``: a sortable publication instant and the store's own bookkeeping.
EXTRA_COLUMNS = ("published_epoch", "first_seen_at", "last_seen_at")


def published_epoch(published_at: str | None) -> int | None:
    """Seconds since the epoch of an ISO 8601 timestamp with offset, for ordering and filters."""
    return None if published_at is None else int(datetime.fromisoformat(published_at).timestamp())


# Set by the store from what crawls observe, never by a page: a re-crawl's record leaves it alone
# (see ``observations.py``).
STORE_OBSERVED = ("withdrawn_at",)
# Not part of what a record says: when it was fetched, where that fetch is archived (a re-crawl
# of an unchanged page is a new archive record, not an edit), the text fingerprint derived from
# it, and what the store observed of the site (a withdrawal is not an edit of the article).
UNFINGERPRINTED = ("crawled_at", "archive_record", "content_hash", *STORE_OBSERVED)


def record_hash(record: dict[str, Any]) -> str:
    """sha256 hex of every field of a record but ``crawled_at``, ``archive_record`` (and
    ``content_hash``, which is derived from fields it covers): any change the site makes to an
    article changes it."""
    fields = {
        name: list(record.get(name) or []) if name in LIST_FIELDS else record.get(name)
        for name in RECORD_COLUMNS
        if name not in UNFINGERPRINTED
    }
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as named parameters for the store (lists kept as lists; the store adapts them)."""
    row = {name: record.get(name) for name in RECORD_COLUMNS}
    for name in LIST_FIELDS:
        row[name] = list(row[name] or [])
    row["published_epoch"] = published_epoch(row["published_at"])
    row["record_hash"] = record_hash(row)
    return row
