"""What full-text search costs: query latency over a store of replica articles, on SQLite and on
PostgreSQL, and the write rate of the store with its search index kept up to date.

    python bench/search.py [--articles 100000] [--rounds 5] [--postgres URL] [--cache DIR]
                           [--json PATH]

The SQLite store is built once per size and kept in ``--cache`` (the system's temporary folder by
default), so a second run measures queries only; the PostgreSQL store is built in a scratch
database each run and dropped after. The replica's vocabulary is small (some 150 words), so a
common word matches a large share of the corpus: a hard case for ranking, which has to score
every match. Latency is that of ``Store.search`` with the default limit (20), snippets included.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from _common import machine, write_figures
from store import ADMIN_URL, iter_records, scratch_postgres

from mizan_crawler.store import Store, open_store
from mizan_crawler.store.base import SCHEMA_VERSION

BATCH = 1000
ZWNJ = "\u200c"
# What a reader asks: a common word, a rare pair, a phrase, ZWNJ words in each written form,
# Arabic letters and Persian digits, and a word no article has.
QUERIES = (
    "دادگاه",
    "قاضی عفو",
    "«قوه قضاییه»",
    f"گفت{ZWNJ}وگو",
    "گفتوگو",
    "گفت وگو",
    f"صهیونیست{ZWNJ}ها",
    "رئيس كشور",
    "۱۴۰۳",
    "دادستان ١٢٠",
    "ناموجود",
)


def records(count: int) -> Iterator[list[dict[str, Any]]]:
    """The replica's expected records, in batches."""
    batch: list[dict[str, Any]] = []
    for row in iter_records(count):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(store: Store, count: int) -> float:
    """Write ``count`` records; the rate in articles/s."""
    started = time.perf_counter()
    for batch in records(count):
        store.write(batch)
    return count / (time.perf_counter() - started)


def latencies(store: Store, rounds: int) -> dict[str, Any]:
    """Per query: its matches (up to 20) and median latency; over all: median and p95 in ms."""
    store.search(QUERIES[0])  # warm-up: caches, the first read of the index
    every: list[float] = []
    per_query = {}
    for query in QUERIES:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            hits = store.search(query)
            times.append((time.perf_counter() - started) * 1000)
        every += times
        per_query[query] = {"hits": len(hits), "median_ms": statistics.median(times)}
    return {
        "median_ms": statistics.median(every),
        "p95_ms": statistics.quantiles(every, n=20)[-1] if len(every) > 1 else every[0],
        "queries": per_query,
    }


def sqlite_figures(count: int, rounds: int, cache: Path) -> dict[str, Any]:
    """Latencies over the cached SQLite store of ``count`` articles (built if missing)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"search-{count}-v{SCHEMA_VERSION}.sqlite"
    figures: dict[str, Any] = {"path": str(path)}
    with open_store(f"sqlite:///{path}") as store:
        if len(store.known_codes()) != count:
            store.close()
            for leftover in cache.glob(f"{path.name}*"):
                leftover.unlink()
            store.open()
            figures["write_rate"] = fill(store, count)
        figures.update(latencies(store, rounds))
    figures["size_mib"] = path.stat().st_size / 2**20
    return figures


def postgres_figures(count: int, rounds: int, admin_url: str) -> dict[str, Any]:
    """Latencies over a scratch PostgreSQL store, or why they were not measured."""
    try:
        with scratch_postgres(admin_url) as url, open_store(url) as store:
            rate = fill(store, count)
            store.connection.execute("ANALYZE articles")  # as autovacuum would, in time
            store.connection.commit()
            return {"write_rate": rate, **latencies(store, rounds)}
    except psycopg.Error as error:  # no server, no rights: the figures say so
        return {"not_measured": " ".join(str(error).split()) or type(error).__name__}


def summary(figures: dict[str, Any]) -> str:
    out = [f"bench/search.py ({machine()}): {figures['articles']} replica articles"]
    for name in ("sqlite", "postgres"):
        found = figures[name]
        if "not_measured" in found:
            out.append(f"  {name}: not measured ({found['not_measured']})")
            continue
        built = f", built at {found['write_rate']:.0f} articles/s" if "write_rate" in found else ""
        out.append(
            f"  {name}: median {found['median_ms']:.1f} ms, p95 {found['p95_ms']:.1f} ms{built}"
        )
        for query, one in found["queries"].items():
            out.append(f"    {one['median_ms']:8.1f} ms  {one['hits']:3d} hits  {query}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each query")
    parser.add_argument("--postgres", default=ADMIN_URL)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "mizan-bench-search"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = {
        "articles": args.articles,
        "rounds": args.rounds,
        "sqlite": sqlite_figures(args.articles, args.rounds, args.cache),
        "postgres": postgres_figures(args.articles, args.rounds, args.postgres),
    }
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
