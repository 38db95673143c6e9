"""``DATABASE_URL`` parsing and redaction: which store, where, and never the password in a log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "sqlite:///data/mizan.sqlite"


class StoreConfigError(ValueError):
    """A ``DATABASE_URL`` this project cannot use; the message is safe to print."""


@dataclass(frozen=True)
class StoreURL:
    """A parsed ``DATABASE_URL``."""

    scheme: str  # "sqlite" or "postgresql"
    url: str
    path: Path | None = None  # SQLite only

    @property
    def redacted(self) -> str:
        """The URL with any password replaced by ``***``, for logs and messages."""
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` with the password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f":***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def parse_database_url(url: str) -> StoreURL:
    """``sqlite:///relative.sqlite``, ``sqlite:////absolute.sqlite`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path.endswith("/"):
            raise StoreConfigError(f"no SQLite file named in {url!r}")
        return StoreURL("sqlite", url, Path(path))
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return StoreURL("postgresql", url)
    raise StoreConfigError(
        f"unsupported DATABASE_URL {redact(url)!r}: use sqlite:///path.sqlite or "
        "postgresql://user:pass@host:port/db"
    )
