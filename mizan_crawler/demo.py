"""The whole pipeline in a minute, with no network: ``python3 tasks.py demo``.

Starts the replica site on a free loopback port, runs the scheduled crawl (`news`) and a short
`backfill` into a fresh SQLite store under ``demo/``, exports the store as Parquet with its
dataset card, and prints each crawl's summary and the store's statistics.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from .datasets import export, exported_line, format_summary, store_summary
from .dates import TEHRAN
from .monitoring.summary import summary_lines
from .replica import Corpus, ReplicaServer
from .store import Filters, open_store

DEMO_DIR = Path("demo")
# Fifty articles a day over two months of 2024: enough for every kind of page in a short crawl.
CORPUS = Corpus(
    3000, seed=1, start=datetime(2024, 5, 1, tzinfo=TEHRAN), end=datetime(2024, 7, 1, tzinfo=TEHRAN)
)
FULL_SPEED = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def crawl(base_url: str, spider: str, *arguments: str) -> int:
    """One crawl as a child process, quiet but for warnings; prints its summary."""
    stats_file = DEMO_DIR / f"{spider}-stats.json"
    env = {
        **os.environ,
        "MIZAN_BASE_URL": base_url,
        "DATABASE_URL": f"sqlite:///{DEMO_DIR / 'mizan.sqlite'}",
        "MIZAN_STATS_FILE": str(stats_file),
        "MIZAN_LOG_LEVEL": "WARNING",
        "MIZAN_SPOOL_DIR": str(DEMO_DIR / "spool"),
    }
    command = [sys.executable, "-m", "mizan_crawler", "crawl", spider, *arguments, *FULL_SPEED,
               "-O", str(DEMO_DIR / f"{spider}.jsonl")]  # fmt: skip
    say(f"\n$ mizan-crawler crawl {spider} {' '.join(arguments)}")
    status = subprocess.call(command, env=env)
    for line in summary_lines(json.loads(stats_file.read_text("utf-8"))):
        say(line)
    say(f"exit status {status}")
    return status


def main() -> None:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir()
    with ReplicaServer(CORPUS) as replica:
        say(
            f"Replica of mizanonline.ir at {replica.base_url}: {len(CORPUS)} articles, May-June 2024"
        )
        statuses = [
            crawl(replica.base_url, "news"),
            crawl(replica.base_url, "backfill", "-a", "from=1403-03-20", "-a", "to=1403-03-21"),
        ]
    database_url = f"sqlite:///{DEMO_DIR / 'mizan.sqlite'}"
    with open_store(database_url) as store:
        exported = export(
            store,
            "parquet",
            DEMO_DIR / "dataset",
            filters=Filters(),
            described="all stored articles",
        )
        say(f"\n$ mizan-crawler export --format parquet --out {DEMO_DIR / 'dataset'}")
        say(exported_line(exported))
        say("\n$ mizan-crawler stats")
        say(format_summary(*store_summary(store), store.url.redacted))
    raise SystemExit(max(statuses))


if __name__ == "__main__":
    main()
