"""Stores chosen by ``DATABASE_URL``: SQLite by default, PostgreSQL for teams.

PostgreSQL's driver (psycopg) is imported only when a PostgreSQL store is opened.
"""

from __future__ import annotations

from .base import CoverageMark, Filters, Store, StoreUnavailable
from .sqlite import SQLiteStore
from .urls import DEFAULT_DATABASE_URL, StoreConfigError, parse_database_url, redact


def open_store(database_url: str, timeout: float | None = None) -> Store:
    """Connect to the store ``database_url`` names, creating or migrating its schema.

    ``timeout``: seconds a PostgreSQL server may leave a connection attempt, a statement or a
    write unanswered before the store counts as unavailable (see ``PostgresStore``); SQLite
    waits up to 60 s for a lock whatever it is."""
    parsed = parse_database_url(database_url)
    if parsed.scheme == "sqlite":
        return SQLiteStore(parsed, timeout).open()
    from .postgres import PostgresStore

    return PostgresStore(parsed, timeout).open()


__all__ = [
    "DEFAULT_DATABASE_URL",
    "CoverageMark",
    "Filters",
    "Store",
    "StoreConfigError",
    "StoreUnavailable",
    "open_store",
    "parse_database_url",
    "redact",
]
