"""The ``reparse`` spider: articles rebuilt from archived responses, with no request at all.

Its ``start()`` reads the archive and yields items, not requests, so every article goes through
the crawl's own item pipelines (normalise, validate, deduplicate, store), feeds, monitors,
summary and exit status, and nothing can reach the network. Parsing, the costly part, runs in
worker processes (``workers``, spawned: the crawl process has threads, which do not survive a
fork); reading the files stays in the crawl process, which keeps the order of the records.

Each capture keeps its fetch time as ``crawled_at``, so a capture the store already holds is
``unchanged`` and a capture the parser now reads differently replaces the stored row, which is
kept as a revision, exactly as a re-crawl of an edited page.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ..items import Article
from ..pages.article import news_code_from_url
from ..spiders.base import MizanSpider, is_on_site
from .parsing import Parsed, parse_capture, start_worker
from .reader import Capture, OtherRecord, Problem, archive_files, read_archive

logger = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 8  # captures handed to each worker ahead: enough to keep it busy


def default_workers() -> int:
    """The cores this process may use."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


class ReparseSpider(MizanSpider):
    """Rebuilds articles from WARC/WACZ files or folders (``paths``).

    Stats: ``mizan/reparse/records/<WARC type>``, ``mizan/reparse/skipped/not_article_url`` and
    ``.../http_<status>`` (responses that are not an article page of the site),
    ``mizan/reparse/torn`` (a file ending inside a record), ``mizan/reparse/unreadable`` and
    ``mizan/reparse/failed`` (errors, each logged with its file and offset); pages the parser
    finds no article in are ``mizan/skipped/<reason>`` as on a crawl;
    ``mizan/reparse/cpu_seconds/crawl_process|workers``: the CPU each side used.
    """

    name = "reparse"
    items_are_captures = True  # each archived version is an item (see DeduplicatePipeline)

    def __init__(
        self,
        *args: Any,
        paths: Sequence[str | Path] = (),
        workers: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.paths = [paths] if isinstance(paths, str | Path) else list(paths)
        self.workers = int(workers) if workers else default_workers()

    async def start(self) -> AsyncIterator[Article]:
        files = archive_files(self.paths)
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=start_worker, initargs=(self.base_url,)
        ) as pool:
            pending: deque[tuple[Capture, asyncio.Future[Parsed]]] = deque()
            for number, path in enumerate(files, 1):
                logger.info("Reparsing %s (file %d of %d)", path, number, len(files))
                for capture in self._article_captures(path):
                    pending.append((capture, loop.run_in_executor(pool, parse_capture, capture)))
                    while len(pending) >= self.workers * IN_FLIGHT_PER_WORKER:
                        if item := self._outcome(*await self._next(pending)):
                            yield item
            while pending:
                if item := self._outcome(*await self._next(pending)):
                    yield item
        self._count_cpu()

    def _count_cpu(self) -> None:
        """CPU seconds of this process and of its (now finished) workers, in the stats: where a
        reparse's time goes, and what more workers could still win."""
        try:
            import resource  # noqa: PLC0415 - POSIX only
        except ImportError:
            return
        stats = self.crawler.stats
        for name, who in (("crawl_process", resource.RUSAGE_SELF),
                          ("workers", resource.RUSAGE_CHILDREN)):  # fmt: skip
            usage = resource.getrusage(who)
            stats.set_value(
                f"mizan/reparse/cpu_seconds/{name}", round(usage.ru_utime + usage.ru_stime, 3)
            )

    @staticmethod
    async def _next(
        pending: deque[tuple[Capture, asyncio.Future[Parsed]]],
    ) -> tuple[Capture, Parsed]:
        capture, future = pending.popleft()
        return capture, await future

    def _article_captures(self, path: Path) -> Iterator[Capture]:
        """The archived responses of ``path`` that are article pages of the site; every other
        record counted, every unreadable one reported."""
        stats = self.crawler.stats
        for entry in read_archive(path):
            if isinstance(entry, Problem):
                self._problem(entry)
            elif isinstance(entry, OtherRecord):
                stats.inc_value(f"mizan/reparse/records/{entry.kind}")
            else:
                stats.inc_value("mizan/reparse/records/response")
                if self._is_article_page(entry):
                    yield entry

    def _is_article_page(self, capture: Capture) -> bool:
        stats = self.crawler.stats
        if not is_on_site(capture.url, self.allowed_domains) or not news_code_from_url(capture.url):
            stats.inc_value("mizan/reparse/skipped/not_article_url")
            logger.debug("Not an article of the site: %s (%s)", capture.url, capture.where)
            return False
        if not 200 <= capture.status < 300:  # as on a crawl, where only 2xx reach the parser
            stats.inc_value(f"mizan/reparse/skipped/http_{capture.status}")
            return False
        return True

    def _problem(self, problem: Problem) -> None:
        if problem.torn:
            self.crawler.stats.inc_value("mizan/reparse/torn")
            logger.warning("%s: %s", problem.where, problem.message)
        else:
            self.crawler.stats.inc_value("mizan/reparse/unreadable")
            logger.error("%s: %s", problem.where, problem.message)

    def _outcome(self, capture: Capture, parsed: Parsed) -> Article | None:
        stats = self.crawler.stats
        if parsed.failed:
            stats.inc_value("mizan/reparse/failed")
            logger.error("Could not parse %s at %s: %s", capture.url, capture.where, parsed.failed)
            return None
        if parsed.skipped:
            self.skip(parsed.skipped, f"{capture.url} ({capture.where})")
            return None
        assert parsed.article is not None
        for kind, message in parsed.problems:
            stats.inc_value(f"mizan/problem/{kind}")
            logger.error("%s on %s (%s): %s", kind, capture.url, capture.where, message)
        stats.inc_value(f"mizan/articles/{parsed.article.kind}")
        return parsed.article
