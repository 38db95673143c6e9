"""Rolling WARC files in one folder, written record by record.

Crash safety by construction: a file is created (never opened for appending) with a name no
other run can have, each exchange is built in memory and written with one ``write`` and a flush,
so a SIGKILL loses at most the record being written; a file is synced to disk when it is rolled
and when the crawl closes. The next run starts files of its own: nothing ever follows a torn
record.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

from .. import __version__

try:
    # ISA-L's deflate: the same gzip format at about 20 times the speed of zlib at level 9, the
    # level warcio's own writer uses (0.43 against 9.8 ms for a page of the live site's weight,
    # files about a quarter larger). That compression ran on Scrapy's one thread for every page.
    from isal import isal_zlib as _deflate

    COMPRESSION_LEVEL = 2  # ISA-L's default; its level 3 is four times slower for 3% less
except ImportError:  # a platform without isal's wheels: zlib's fastest level, still gzip
    import zlib as _deflate  # type: ignore[no-redef]

    COMPRESSION_LEVEL = 1

WARC_VERSION = "1.1"
SUFFIX = ".warc.gz"


def warc_date(moment: datetime) -> str:
    """``2024-06-01T08:00:00Z``: WARC's UTC timestamp, to the second (as ``crawled_at`` is)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_prefix(prefix: str, started: datetime) -> str:
    """``mizan-20240601T080000Z-3f2a9c``: the start time sorts files by run; the random part
    keeps two runs started in the same second (several workers of one crawl) apart."""
    return f"{prefix}-{started.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Written:
    """Where the records of one ``append`` went: the file's name and each record's offset."""

    file_name: str
    offsets: list[int]
    size: int  # bytes written

    def position(self, index: int = -1) -> str:
        """``<file name>#<offset>`` of one of the records (the last one by default)."""
        return f"{self.file_name}#{self.offsets[index]}"


class WarcFiles:
    """Files ``<prefix>-<start>-<random>-<sequence>.warc.gz`` under ``directory``; a new one
    is begun once the current one holds ``max_bytes`` (a record is never split)."""

    def __init__(self, directory: Path, max_bytes: int, info: dict[str, Any]) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.info = {"software": f"mizan-crawler/{__version__} (warcio)", **info}
        self.prefix = run_prefix("mizan", datetime.now(UTC))
        self.sequence = 0
        self.file: IO[bytes] | None = None
        self.name = ""
        self.size = 0
        self.names: list[str] = []

    def builder(self) -> WARCWriter:
        """A writer that builds records (its output is never used: ``append`` serialises)."""
        return WARCWriter(io.BytesIO(), gzip=True, warc_version=WARC_VERSION)

    def append(self, records: list[ArcWarcRecord]) -> Written:
        """Write ``records`` one after the other, as one write, into the current file."""
        if self.file is None or self.size >= self.max_bytes:
            self._roll()
        before = self.size
        offsets = self._write(records)
        return Written(self.name, offsets, self.size - before)

    def close(self) -> None:
        """Sync and close the current file."""
        if self.file is not None:
            os.fsync(self.file.fileno())
            self.file.close()
            self.file = None

    def _roll(self) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = f"{self.prefix}-{self.sequence:05d}{SUFFIX}"
        self.sequence += 1
        self.file = open(self.directory / self.name, "xb")  # noqa: SIM115 - closed in close()
        self.size = 0
        self.names.append(self.name)
        self._write([self.builder().create_warcinfo_record(self.name, self.info)])

    def _write(self, records: list[ArcWarcRecord]) -> list[int]:
        assert self.file is not None
        members, offsets, position = [], [], self.size
        for record in records:
            member = gzip_member(record)
            offsets.append(position)
            members.append(member)
            position += len(member)
        self.file.write(b"".join(members))
        self.file.flush()  # in the operating system's hands: a killed process loses nothing
        self.size = position
        return offsets


def gzip_member(record: ArcWarcRecord) -> bytes:
    """``record`` serialised by warcio (headers, digests, lengths) and compressed as one gzip
    member of its own, as WARC's record-at-a-time compression asks: any record can be read from
    its offset alone."""
    plain = io.BytesIO()
    WARCWriter(plain, gzip=False, warc_version=WARC_VERSION).write_record(record)
    compressor = _deflate.compressobj(COMPRESSION_LEVEL, _deflate.DEFLATED, 16 + _deflate.MAX_WBITS)
    return compressor.compress(plain.getbuffer()) + compressor.flush()
