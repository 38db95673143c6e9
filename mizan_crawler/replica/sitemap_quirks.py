"""Sitemaps as real sites serve them: irregularities of the archive sitemap, each a switch, off by
default, so a backfill can be tested against every one.

- ``duplicate_reference``: the index lists its newest month twice (a CMS appending the month it
  regenerates);
- ``gzip``: the index points at ``/fa-sitemap-newsarchive.xml.gz?y=&m=``, gzip files served as
  ``application/x-gzip`` with no ``Content-Encoding``, so no HTTP client decompresses them;
- ``publication_dates``: every urlset entry carries ``<news:news><news:publication_date>``;
- ``failing_index``: the index answers 500 on every try.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, fields

from .jalali import Month
from .replies import Reply

GZIP_TYPE = "application/x-gzip"
GZIP_PATH = "/fa-sitemap-newsarchive.xml.gz"


@dataclass(frozen=True)
class SitemapQuirks:
    """Which irregularities the archive sitemap shows; none by default."""

    duplicate_reference: bool = False
    gzip: bool = False
    publication_dates: bool = False
    failing_index: bool = False

    @classmethod
    def parse(cls, text: str) -> SitemapQuirks:
        """From a comma-separated list such as ``gzip,publication-dates`` (the replica's CLI)."""
        names = {name.strip().replace("-", "_") for name in text.split(",") if name.strip()}
        known = {field.name for field in fields(cls)}
        if names - known:
            raise ValueError(
                f"unknown sitemap quirks {sorted(names - known)}; known: {sorted(known)}"
            )
        return cls(**dict.fromkeys(names, True))

    def month_path(self, month: Month) -> str:
        """Path and query of one month's urlset as the index names it."""
        path = GZIP_PATH if self.gzip else "/fa-sitemap-newsarchive"
        return f"{path}?y={month[0]}&m={month[1]}"


def gzipped(reply: Reply) -> Reply:
    """``reply`` as a ``.xml.gz`` file: compressed bytes, a gzip type, no ``Content-Encoding``."""
    if reply.status != 200:
        return reply
    return Reply(200, gzip.compress(reply.body, mtime=0), GZIP_TYPE)


def failing_index() -> Reply:
    """What a sitemap index broken on the server answers, every time."""
    return Reply(500, b"<html>Internal Server Error</html>")
