"""Reparse speed: ``mizan-crawler reparse`` of an archive of replica pages of the live site's
weight, on 1 and on 2 workers, next to trafilatura and the floor of any lxml-based extractor
(building the tree) on pages of the same archive, in the same run.

    python bench/reparse.py [--articles 20000] [--sample 300] [--rounds 2] [--parse-rounds 3]
                            [--seed 1] [--json PATH]

The archive is one WARC file of ``--articles`` replica articles (withdrawn ones left out, as a
backfill never finds them), each page rendered by the replica at the live site's weight (about
185 KB) and written as a crawl writes it: a request record and its response record, built by the
archive middleware's own functions and written by the project's ``WarcFiles``. It is written once
and reparsed by every round.

Each reparse is the command a user runs, in its own process, into a fresh SQLite store: start-up,
reading the archive, parsing in the worker processes, the item pipelines (validation,
deduplication, the store) and shutdown are all in its wall time. The in-process rates are for
``trafilatura.extract(..., output_format="json", with_metadata=True)`` on each page's text
(decoded from the charset of its Content-Type, the decoding timed with it) and
``lxml.html.fromstring`` on its bytes, over ``--sample`` pages spread evenly through the archive
(trafilatura takes about 0.15 s a page here, too long for every page of a large archive; 0: all),
read back from the archive with the project's reader before the clock starts; best of
``--parse-rounds``, one of each in turn. The reparses take turns too, best of ``--rounds``.

Targets (issue 13): 1 worker at least 10x trafilatura's rate and at least 0.5 of the floor's;
2 workers at least 1.7x the rate of 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import formatdate
from importlib.metadata import version
from pathlib import Path
from typing import Any

import lxml.html
import trafilatura
from _common import machine, write_figures
from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import ACCEPTED_ENCODINGS
from scrapy.http import HtmlResponse
from scrapy.utils.project import get_project_settings

from mizan_crawler.archive.files import WarcFiles, warc_date
from mizan_crawler.archive.middleware import request_record, response_record
from mizan_crawler.archive.reader import Capture, read_archive
from mizan_crawler.archive.reparse import default_workers
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.replica.server import _Handler

BASE = "https://www.mizanonline.ir"
WORKERS = (1, 2)


# The archive ------------------------------------------------------------------------------------


def crawl_headers() -> dict[str, str]:
    """The headers Scrapy sends with the project's settings (and its compression middleware)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "mizan_crawler.settings")
    settings = get_project_settings()
    headers = dict(settings.getdict("DEFAULT_REQUEST_HEADERS"))
    headers["User-Agent"] = settings.get("USER_AGENT")
    headers["Accept-Encoding"] = b", ".join(ACCEPTED_ENCODINGS).decode()
    return headers


def write_archive(folder: Path, articles: int, seed: int) -> dict[str, Any]:
    """One WARC file of the replica's article pages at the live site's weight, as a crawl of
    them would write it; the number of pages and their bytes."""
    corpus = Corpus(articles, seed=seed)
    server = ReplicaServer(corpus, weight="live")  # answers in-process; never serves
    files = WarcFiles(folder, 10**12, {"format": "WARC File Format 1.1", "robots": "obey"})
    files.info["isPartOf"] = "backfill"
    headers, server_header = crawl_headers(), f"{_Handler.server_version} {_Handler.sys_version}"
    pages = body_bytes = 0
    try:
        for article in corpus:
            if article.withdrawn:
                continue
            reply = server.answer(article.encoded_path)
            fetched = datetime.now(UTC).replace(microsecond=0)
            url = BASE + article.encoded_path
            response = HtmlResponse(
                url,
                status=reply.status,
                headers={
                    "Server": server_header,
                    "Date": formatdate(fetched.timestamp(), usegmt=True),
                    "Content-Type": reply.content_type,
                    "Content-Length": str(len(reply.body)),
                    **reply.headers,
                },
                body=reply.body,
                protocol="HTTP/1.1",
            )
            builder, date = files.builder(), warc_date(fetched)
            answer = response_record(builder, response, date)
            asked = request_record(builder, Request(url, headers=headers), date)
            asked.rec_headers.add_header(
                "WARC-Concurrent-To", answer.rec_headers.get_header("WARC-Record-ID")
            )
            files.append([asked, answer])
            pages += 1
            body_bytes += len(reply.body)
    finally:
        files.close()
        server.httpd.server_close()
    size = sum((folder / name).stat().st_size for name in files.names)
    return {
        "pages": pages,
        "kib_per_page": body_bytes / max(pages, 1) / 1024,
        "warc_mib": size / 2**20,
    }


def sample_pages(folder: Path, total: int, count: int) -> list[Capture]:
    """``count`` of the archive's ``total`` article captures, spread evenly through it (all of
    them for 0); only those are kept in memory."""
    count = total if count <= 0 else min(count, total)
    wanted = {int(i * total / count) for i in range(count)}
    captures = (
        entry
        for path in sorted(folder.glob("*.warc.gz"))
        for entry in read_archive(path)
        if isinstance(entry, Capture)
    )
    return [capture for index, capture in enumerate(captures) if index in wanted]


# Timing ------------------------------------------------------------------------------------------


def reparse_round(archive: Path, folder: Path, workers: int) -> dict[str, Any]:
    """Wall seconds of ``mizan-crawler reparse ARCHIVE --workers N`` into a fresh SQLite store,
    and what it stored (from its final stats)."""
    store, stats_file = folder / f"store-{workers}.sqlite", folder / f"stats-{workers}.json"
    for old in (store, stats_file):
        old.unlink(missing_ok=True)
    command = [sys.executable, "-m", "mizan_crawler", "reparse", str(archive),
               "--workers", str(workers), "--database-url", f"sqlite:///{store}"]  # fmt: skip
    env = {**os.environ, "MIZAN_STATS_FILE": str(stats_file), "MIZAN_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not stats_file.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"reparse --workers {workers} exited with {done.returncode}: {last}")
    stats = json.loads(stats_file.read_text())
    return {
        "seconds": seconds,
        "stored": int(stats.get("mizan/store/new", 0)),
        "crawl_cpu": float(stats.get("mizan/reparse/cpu_seconds/crawl_process", 0.0)),
        "worker_cpu": float(stats.get("mizan/reparse/cpu_seconds/workers", 0.0)),
    }


def cpu_bounds(pages: int, one: dict[str, Any], cores: int) -> dict[str, float]:
    """What the 1-worker run's CPU per page allows: the crawl process's and the worker's ms per
    page, and the most 2 workers could gain on ``cores`` cores, were each process's work to stay
    what it was and nothing else ran (each process is one thread of work at most, and all share
    the cores)."""
    crawl_ms, worker_ms = 1000 * one["crawl_cpu"] / pages, 1000 * one["worker_cpu"] / pages
    best_two_ms = max(crawl_ms, worker_ms / 2, (crawl_ms + worker_ms) / min(cores, 3))
    return {
        "crawl_ms": crawl_ms,
        "worker_ms": worker_ms,
        "best_two_ms": best_two_ms,
        "best_two_of_one": (1000 / best_two_ms) / one["rate"],
    }


def trafilatura_extract(capture: Capture) -> object:
    return trafilatura.extract(text_of(capture), output_format="json", with_metadata=True)


def text_of(capture: Capture) -> str:
    content_type = next((v for k, v in capture.headers if k.lower() == "content-type"), "")
    charset = content_type.partition("charset=")[2].split(";")[0].strip() or "utf-8"
    return capture.body.decode(charset, errors="replace")


def floor(capture: Capture) -> object:
    return lxml.html.fromstring(capture.body)


EXTRACTORS: dict[str, Callable[[Capture], object]] = {
    "floor": floor,
    "trafilatura": trafilatura_extract,
}


def parse_rates(pages: list[Capture], rounds: int) -> dict[str, float]:
    """Best pages per second of each in-process extractor, rounds interleaved."""
    best = dict.fromkeys(EXTRACTORS, float("inf"))
    for _ in range(rounds):
        for name, extract in EXTRACTORS.items():
            started = time.perf_counter()
            for page in pages:
                extract(page)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: len(pages) / seconds for name, seconds in best.items()}


def measure(
    articles: int = 20000, sample: int = 300, rounds: int = 2, parse_rounds: int = 3, seed: int = 1
) -> dict[str, Any]:
    """The archive once, then the reparses (their rounds taking turns), then the in-process
    rates on the sample."""
    with tempfile.TemporaryDirectory(prefix="mizan-reparse-bench-") as tmp:
        folder = Path(tmp)
        archive = folder / "archive"
        started = time.perf_counter()
        built = write_archive(archive, articles, seed)
        built["write_seconds"] = time.perf_counter() - started
        runs: dict[int, list[dict[str, Any]]] = {workers: [] for workers in WORKERS}
        for _ in range(rounds):
            for workers in WORKERS:
                runs[workers].append(reparse_round(archive, folder, workers))
        pages = sample_pages(archive, built["pages"], sample)
        inline = parse_rates(pages, parse_rounds)
    reparse = {}
    for workers, found in runs.items():
        best = min(found, key=lambda run: run["seconds"])
        reparse[str(workers)] = {**best, "rate": built["pages"] / best["seconds"],
                                 "all_seconds": [run["seconds"] for run in found]}  # fmt: skip
    one, two = reparse["1"]["rate"], reparse["2"]["rate"]
    cores = default_workers()  # the cores this process may use
    return {
        "cores": cores,
        "cpu": cpu_bounds(built["pages"], reparse["1"], cores),
        "articles": articles,
        "archive": built,
        "rounds": rounds,
        "parse_rounds": parse_rounds,
        "sample": len(pages),
        "reparse": reparse,
        "floor_rate": inline["floor"],
        "trafilatura_rate": inline["trafilatura"],
        "trafilatura_version": version("trafilatura"),
        "of_trafilatura": one / inline["trafilatura"],
        "of_floor": one / inline["floor"],
        "two_of_one": two / one,
    }


def summary(f: dict[str, Any]) -> str:
    built, one, two, cpu = f["archive"], f["reparse"]["1"], f["reparse"]["2"], f["cpu"]
    return "\n".join(
        [
            f"bench/reparse.py: {built['pages']} archived replica articles of the live site's weight ({built['kib_per_page']:.1f} KiB a page, {built['warc_mib']:.0f} MiB of WARC, written in {built['write_seconds']:.1f} s) ({machine()})",
            f"  reparse --workers 1 (store, pipelines) : {one['rate']:8.1f} articles/s  {one['seconds']:6.1f} s  stored {one['stored']}  (best of {f['rounds']})",
            f"  reparse --workers 2 (store, pipelines) : {two['rate']:8.1f} articles/s  {two['seconds']:6.1f} s  stored {two['stored']}",
            f"  in-process, {f['sample']} of the same pages, best of {f['parse_rounds']}:",
            f"    lxml.html.fromstring (floor)         : {f['floor_rate']:8.1f} articles/s  {1000 / f['floor_rate']:6.2f} ms",
            f"    trafilatura {f['trafilatura_version']:<8} extract        : {f['trafilatura_rate']:8.1f} articles/s  {1000 / f['trafilatura_rate']:6.2f} ms",
            f"  1 worker vs trafilatura                : {f['of_trafilatura']:8.2f}x (target >= 10)",
            f"  1 worker vs the floor                  : {f['of_floor']:8.2f}  (target >= 0.5)",
            f"  2 workers vs 1                         : {f['two_of_one']:8.2f}x (target >= 1.7)",
            f"  CPU a page on 1 worker: crawl process {cpu['crawl_ms']:.2f} ms, worker {cpu['worker_ms']:.2f} ms; "
            f"on {f['cores']} cores 2 workers could reach at most {cpu['best_two_of_one']:.2f}x",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000, help="replica articles archived")
    parser.add_argument("--sample", type=int, default=300, help="pages for the in-process rates")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both reparses")
    parser.add_argument("--parse-rounds", type=int, default=3, help="rounds in-process")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.articles, args.sample, args.rounds, args.parse_rounds, args.seed)
    print(summary(figures))  # noqa: T201 - a benchmark's output is its result
    write_figures(args.json, figures)


if __name__ == "__main__":
    main()
