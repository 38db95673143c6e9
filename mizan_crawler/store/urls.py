"""``DATABASE_URL`` parsing: which store, and where (shown only through ``redaction.redact_url``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..redaction import redact_url, url_secrets

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
        """The URL with its password and secret query values replaced by ``***``, for logs,
        messages, summaries and the dataset card."""
        return redact_url(self.url)

    @property
    def secrets(self) -> list[str]:
        """The URL's secret values (and their encodings), to mask in a driver's error text."""
        return url_secrets(self.url)


# The name this module has always exported; the one redaction lives in ``mizan_crawler.redaction``.
redact = redact_url


def parse_database_url(url: str) -> StoreURL:
    """``sqlite:///relative.sqlite``, ``sqlite:////absolute.sqlite`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path.endswith("/"):
            raise StoreConfigError(f"no SQLite file named in {redact_url(url)!r}")
        return StoreURL("sqlite", url, Path(path))
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return StoreURL("postgresql", url)
    raise StoreConfigError(
        f"unsupported DATABASE_URL {redact_url(url)!r}: use sqlite:///path.sqlite or "
        "postgresql://user:pass@host:port/db"
    )
