"""A local append-only file that keeps items the store could not take, until it can.

One JSON record a line, flushed and fsynced before the crawl moves on, so an outage of the
database (or a crash during it) loses nothing: the next successful write replays the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class Spool:
    """The spool file of one store, named after its redacted URL: the same store keeps the same
    file when its password changes, and the name tells nothing of the password."""

    def __init__(self, directory: Path, store_name: str) -> None:
        digest = hashlib.sha256(store_name.encode("utf-8")).hexdigest()[:16]
        self.path = directory / f"spool-{digest}.jsonl"

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        with self.path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())

    def append(self, records: list[dict[str, Any]]) -> None:
        """Add ``records`` durably (raises ``OSError`` when the disk refuses)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """The spooled records in order, ``size`` at a time; a torn last line is skipped."""
        if not self.path.exists():
            return
        batch: list[dict[str, Any]] = []
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    batch.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash while spooling
                if len(batch) >= size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def clear(self) -> None:
        """Forget the spooled records (after they are stored)."""
        self.path.unlink(missing_ok=True)
