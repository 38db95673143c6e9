"""Local append-only files that keep items the store could not take, until it can.

One JSON record a line, flushed and fsynced before the crawl moves on, so an outage of the
database (or a crash during it) loses nothing: the next successful write replays the files.

Each crawl writes a spool file of its own (``spool-<store>-<crawl>.jsonl``) and holds an exclusive
lock on it while it runs, so two crawls on one machine never share a file: a crawl replays its own
file and the files of crawls that are gone (their lock released when they ended or died), never
one another crawl is still writing. A file is claimed by taking its lock, replayed, then deleted;
a crawl killed while replaying leaves it to be replayed again, which the store's record
fingerprints make harmless (a record it already holds is unchanged, a version it already keeps is
not kept twice). A line torn by a crash or a full disk is cut back before the next append, and
skipped on replay.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


class Spool:
    """The spool files of one store, named after its redacted URL: the same store keeps the same
    names when its password changes, and the names tell nothing of the password."""

    def __init__(self, directory: Path, store_name: str) -> None:
        self.directory = directory
        self.prefix = "spool-" + hashlib.sha256(store_name.encode("utf-8")).hexdigest()[:16]
        self.path = directory / f"{self.prefix}-{uuid.uuid4().hex[:12]}.jsonl"  # this crawl's
        self._own: IO[bytes] | None = None

    def __len__(self) -> int:
        """Records in this crawl's own file."""
        return _count(self.path)

    def others_waiting(self) -> int:
        """Records in other crawls' files of this store (running or gone)."""
        return sum(_count(path) for path in self._files() if path != self.path)

    def pending(self) -> bool:
        """Whether this crawl's own file holds records."""
        return len(self) > 0

    def append(self, records: list[dict[str, Any]]) -> None:
        """Add ``records`` durably (raises ``OSError`` when the disk refuses)."""
        handle = self._open_own()
        _cut_torn_line(handle)
        data = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        _write_all(handle, data.encode("utf-8"))
        os.fsync(handle.fileno())

    def replay(self, write: Callable[[list[dict[str, Any]]], None], size: int) -> int:
        """Write every claimable file's records, ``size`` at a time, oldest file first, and delete
        each once written; ``write`` raising stops the replay (the file stays). Records written."""
        written = 0
        for path in sorted(self._files(), key=_age):
            handle = self._claim(path)
            if handle is None:
                continue  # another crawl is running and owns it
            try:
                for batch in _batches(path, size):
                    write(batch)
                    written += len(batch)
                path.unlink(missing_ok=True)
            finally:
                if handle is not self._own:
                    handle.close()
        if self._own is not None and not self.path.exists():
            self._own.close()
            self._own = None
        return written

    def close(self) -> None:
        """Release this crawl's file (an empty one is removed)."""
        if self._own is not None:
            self._own.close()
            self._own = None
        if self.path.exists() and self.path.stat().st_size == 0:
            self.path.unlink()

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        legacy = self.directory / f"{self.prefix}.jsonl"  # one file per store, before per crawl
        return [
            *self.directory.glob(f"{self.prefix}-*.jsonl"),
            *([legacy] if legacy.exists() else []),
        ]

    def _open_own(self) -> IO[bytes]:
        if self._own is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Unbuffered: a write the disk refuses leaves nothing in a buffer to fail again later.
            handle = self.path.open("a+b", buffering=0)
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._own = handle
        return self._own

    def _claim(self, path: Path) -> IO[bytes] | None:
        if path == self.path:
            return self._own
        try:
            handle = path.open("r+b")
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        if not path.exists():  # replayed and deleted by another crawl in between
            handle.close()
            return None
        return handle


def _age(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _count(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.endswith(b"\n") and line.strip())
    except FileNotFoundError:
        return 0


def _cut_torn_line(handle: IO[bytes]) -> None:
    """Truncate a last line that a crash or a full disk left without its newline, so the next
    record does not join it."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return
    handle.seek(0)
    data = handle.read()
    handle.truncate(data.rfind(b"\n") + 1)


def _write_all(handle: IO[bytes], data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = handle.write(view)
        view = view[written or 0 :]


def _batches(path: Path, size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                continue  # a line cut short by a crash while spooling
            try:
                batch.append(json.loads(line))
            except json.JSONDecodeError:
                continue
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch
