"""The captures of WARC (and WACZ) files and folders: what was fetched, where it lies, and what
could not be read, never skipped in silence.

A file written by a crawl that was killed may end inside a record. warcio then either raises or,
worse, hands over a record whose body stops short (or no record at all): both are caught here
(the record's declared length not reached, bytes left after the last whole record) and reported
as a torn end, and the records before it are read as usual.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecord

WARC_SUFFIXES = (".warc", ".warc.gz")
WACZ_SUFFIX = ".wacz"
# Already undone by warcio's reader (``content_stream``), or no encoding at all.
_DECODED = frozenset({"", "identity", *BufferedReader.get_supported_decompressors()})
_DROPPED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class Capture:
    """One archived HTTP response, its body decoded as a client would have it."""

    position: str  # ``<file name>#<offset>``: the record's name kept on the article
    where: str  # ``<path as given>#<offset>``: for the log
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: str  # the record's WARC-Date, ISO 8601 UTC to the second


@dataclass(frozen=True)
class Problem:
    """A record that could not be read. ``torn``: the file ends inside it (a writer stopped
    mid-record); otherwise the record is damaged and the rest of its file is unread."""

    where: str
    message: str
    torn: bool


@dataclass(frozen=True)
class OtherRecord:
    """A record that is no response (request, warcinfo, metadata, revisit ...): counted only."""

    kind: str


Entry = Capture | Problem | OtherRecord


def archive_files(paths: Iterable[str | Path]) -> list[Path]:
    """The WARC and WACZ files ``paths`` name, folders searched recursively, each file once, in
    name order within a folder (the crawler's names sort by when their run began). A path that
    does not exist raises ``FileNotFoundError``."""
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and _is_archive(p))
        elif path.exists():
            candidates = [path]
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        found.update(dict.fromkeys(p.resolve() for p in candidates))
    return list(found)


def _is_archive(path: Path) -> bool:
    return path.name.endswith((*WARC_SUFFIXES, WACZ_SUFFIX))


def read_archive(path: Path) -> Iterator[Entry]:
    """Every record of a WARC file, or of every WARC file inside a WACZ."""
    if path.name.endswith(WACZ_SUFFIX):
        yield from _read_wacz(path)
        return
    with path.open("rb") as stream:
        yield from read_stream(stream, path.name, str(path), torn_check=path)


def _read_wacz(path: Path) -> Iterator[Entry]:
    try:
        package = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        yield Problem(str(path), f"not a readable WACZ (zip) file: {error}", torn=False)
        return
    with package:
        for member in sorted(package.namelist()):
            if member.startswith("archive/") and member.endswith(WARC_SUFFIXES):
                with package.open(member) as stream:
                    yield from read_stream(stream, f"{path.name}/{member}", f"{path}/{member}")


def read_stream(
    stream: IO[bytes], name: str, shown: str, torn_check: Path | None = None
) -> Iterator[Entry]:
    """The records of one WARC stream; ``name`` and ``shown`` prefix record positions."""
    records = ArchiveIterator(stream)
    end = 0  # where the last whole record ended
    try:
        for record in records:
            entry = _entry(record, name, shown, records)
            offset = records.get_record_offset()
            end = offset + records.get_record_length()
            if isinstance(entry, Problem):
                yield entry
                if entry.torn:
                    return
                continue
            yield entry
    except Exception as error:  # warcio raises many kinds on damaged input; all are reported
        torn = torn_check is not None and _member_runs_to_end(torn_check, end)
        yield Problem(f"{shown}#{end}", _unreadable(error, torn), torn=torn)
        return
    if torn_check is not None and end < torn_check.stat().st_size:
        left = torn_check.stat().st_size - end
        yield Problem(
            f"{shown}#{end}",
            f"the file ends with {left} bytes of an incomplete record "
            "(a writer stopped while writing it): ignored",
            torn=True,
        )


def _unreadable(error: Exception, torn: bool) -> str:
    if torn:
        return f"the file ends inside a record (a writer stopped while writing it): ignored ({error!r})"
    return f"unreadable record ({error!r}): the rest of this file is not read"


def _member_runs_to_end(path: Path, offset: int) -> bool:
    """Whether the gzip member at ``offset`` is cut short by the end of the file."""
    with path.open("rb") as stream:
        stream.seek(offset)
        rest = stream.read()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflater.decompress(rest)
    except zlib.error:
        return False
    return bool(rest) and not inflater.eof


def _entry(record: ArcWarcRecord, name: str, shown: str, records: ArchiveIterator) -> Entry:
    kind = record.rec_type or "unknown"
    if kind != "response" or record.http_headers is None:
        record.content_stream().read()
        return OtherRecord(kind)
    body = record.content_stream().read()
    offset = records.get_record_offset()
    position, where = f"{name}#{offset}", f"{shown}#{offset}"
    if record.raw_stream.limit:  # the record's declared length was not there: cut short
        return Problem(
            where,
            "the file ends inside this record (a writer stopped while writing it): ignored",
            torn=True,
        )
    return _capture(record, body, position, where)


def _capture(record: ArcWarcRecord, body: bytes, position: str, where: str) -> Entry:
    http = record.http_headers
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    encoding = (http.get_header("content-encoding") or "").strip().lower()
    if encoding not in _DECODED:
        return Problem(
            where, f"{url}: body in an encoding this reader cannot undo ({encoding})", torn=False
        )
    try:
        fetched = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date") or "")
        fetched = fetched if fetched.tzinfo else fetched.replace(tzinfo=UTC)  # WARC dates are UTC
        status = int(http.get_statuscode())
    except ValueError as error:
        return Problem(where, f"{url}: no usable WARC-Date or HTTP status ({error})", torn=False)
    headers = [(k, v) for k, v in http.headers if k.lower() not in _DROPPED_HEADERS]
    return Capture(
        position=position,
        where=where,
        url=url.strip("<>"),
        status=status,
        headers=headers,
        body=body,
        fetched_at=fetched.astimezone(UTC).isoformat(timespec="seconds"),
    )
