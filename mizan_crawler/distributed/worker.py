"""``DistributedCrawl``: this process's membership in a crawl shared through Redis.

It joins the crawl when the spider opens (after a quick ping: an unreachable Redis stops the crawl
at once with ``redis_unavailable``), says every second or so that the worker is alive (queueing
again what silent workers had taken), keeps the worker open while the crawl is not complete, and
leaves when the spider closes. Mid-crawl, a Redis that stops answering is waited for (a restart
is survived, ``MIZAN_REDIS_OUTAGE_SECONDS``); after that, or when the crawl's keys vanished, it
is one error line and a stop (``redis_unavailable`` or ``redis_state_lost``), never a hang.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import UTC, datetime

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from ..pages.article import news_code_from_url
from ..redaction import redact_text, redact_url, url_secrets
from .coordinator import Coordinator, CrawlStateLost, Taken
from .keys import crawl_key, describe_arguments, new_worker_id, redis_client, redis_problem
from .signals import articles_stored, store_flush

logger = logging.getLogger(__name__)

WAITING = {
    "discovering": "another worker is still discovering",
    "queued": "requests are queued",
    "busy": "other workers still hold requests",
}


class DistributedCrawl:
    """Extension, enabled by ``MIZAN_REDIS_URL`` (``NotConfigured`` without it)."""

    def __init__(self, crawler: Crawler, url: str, coordinator: Coordinator) -> None:
        self.crawler = crawler
        self.url = url
        self.coordinator = coordinator
        # Heartbeats (and polls for work) about every second; several per worker timeout.
        self.tick = max(0.1, min(1.0, coordinator.ttl_ms / 5000))
        self.keep_seconds = crawler.settings.getint("MIZAN_REDIS_FINISHED_TTL", 7 * 24 * 3600)
        self.joined = False
        self.failed = False
        self.discovering = False  # this worker holds the discovery lock
        self.waiting_for = ""
        self.taken: dict[int, str] = {}  # news code -> its field in this worker's pending hash
        self.unsettled: set[str] = set()  # fields of requests taken and not yet settled
        self.article_requests = 0
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.loop: AsyncioLoopingCall | LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedCrawl:
        settings = crawler.settings
        url = settings.get("MIZAN_REDIS_URL")
        if not url:
            raise NotConfigured
        spider = crawler.spider
        assert spider is not None  # Scrapy builds the spider before the extensions
        key = crawl_key(
            settings.get("MIZAN_REDIS_KEY_PREFIX", "mizan"),
            spider.name,
            getattr(spider, "arguments", {}),
            settings.get("MIZAN_BASE_URL"),
        )
        client = redis_client(url, settings.getfloat("MIZAN_REDIS_TIMEOUT", 5.0))
        coordinator = Coordinator(
            client,
            key,
            new_worker_id(),
            worker_timeout=settings.getfloat("MIZAN_REDIS_WORKER_TIMEOUT", 30.0),
            patience=settings.getfloat("MIZAN_REDIS_OUTAGE_SECONDS", 60.0),
            where=f"Redis at {redact_url(url)}",
        )
        extension = cls(crawler, url, coordinator)
        for handler, signal in (
            (extension.spider_opened, signals.spider_opened),
            (extension.spider_idle, signals.spider_idle),
            (extension.spider_closed, signals.spider_closed),
            (extension.articles_stored, articles_stored),
        ):
            crawler.signals.connect(handler, signal=signal)
        return extension

    # Lifecycle ----------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        arguments = describe_arguments(getattr(spider, "arguments", {}))
        coordinator = self.coordinator
        try:
            coordinator.client.ping()
            outcome = coordinator.join(spider.name, arguments, self._info())
            queued = coordinator.queued()
        except redis.RedisError as error:
            problem = redis_problem(self.url, error)
            logger.error("%s: not starting the crawl (redis_unavailable)", problem)
            raise CloseSpider("redis_unavailable") from None
        self.joined = True
        self.crawler.stats.set_value("mizan/distributed/run", outcome)
        logger.info(
            "Worker %s %s crawl %s (%s) in Redis at %s: %d requests queued",
            coordinator.worker_id,
            "started" if outcome == "new" else "joined",
            coordinator.key.name,
            arguments or "no arguments",
            redact_url(self.url),
            queued,
        )
        if str(self.crawler.settings.get("DATABASE_URL", "")).startswith("sqlite:"):
            logger.warning(
                "The store is a SQLite file, one per machine: give every worker one PostgreSQL "
                "DATABASE_URL to share the articles"
            )
        self.loop = create_looping_call(self.heartbeat)
        self.loop.start(self.tick, now=False)

    def spider_idle(self, spider: Spider) -> None:
        """Nothing left in this process: settle what it took, finish discovery if it ran it, and
        stay open until the whole crawl is complete."""
        if self.failed:
            raise DontCloseSpider  # the close with the failure's reason is on its way
        try:
            if self.store_durable():
                self._settle_all()
            if self.discovering:
                self.discovering = False
                if self.coordinator.discovery_done():
                    logger.info("Discovery done: every request it made is handled or queued")
            state = self.coordinator.completion()
        except redis.RedisError as error:
            self.fail(error)
            raise DontCloseSpider from None
        if state == "done":
            return
        if state != self.waiting_for:
            self.waiting_for = state
            logger.info("Idle, not closing: %s", WAITING.get(state, state))
        raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        # Each worker's checks compare what it fetched with the article requests it took, not
        # with those its discovery handed to others.
        self.crawler.stats.set_value("mizan/discovery/requested", self.article_requests)
        if self.joined and not self.failed:
            self._leave(reason)
        self.coordinator.client.close()

    def _leave(self, reason: str) -> None:
        finished = reason == "finished"
        requeue = not (finished and self.store_durable())
        try:
            outcome = self.coordinator.leave(requeue, finished, self.keep_seconds)
            queued = self.coordinator.queued()
        except redis.RedisError as error:  # closing anyway; the heartbeat key expires by itself
            logger.warning("Could not leave the crawl cleanly: %s", redis_problem(self.url, error))
            return
        self.crawler.stats.set_value("mizan/distributed/left", outcome)
        name = self.coordinator.key.name
        if outcome == "finished":
            logger.info("Crawl %s is complete; its state in Redis is cleared", name)
        elif not finished:
            logger.info(
                "Crawl %s stays in Redis (%d requests queued): run the same command to resume",
                name,
                queued,
            )

    # Heartbeat ----------------------------------------------------------------------------------

    def heartbeat(self) -> None:
        if self.failed:
            return
        try:
            moved, gone = self.coordinator.heartbeat(self._info())
        except redis.RedisError as error:
            self.fail(error)
            return
        if gone:
            self.crawler.stats.inc_value("mizan/distributed/recovered", moved)
            logger.warning(
                "Worker(s) %s stopped answering: %d requests they held are queued again",
                ", ".join(gone),
                moved,
            )
        self._nudge()

    def _nudge(self) -> None:
        """Scrapy asks an idle scheduler for work only every 5 s; other machines fill this one's
        queue at any time, so ask at every heartbeat (Scrapy has no public call for it)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def _info(self) -> str:
        stats = self.crawler.stats
        return json.dumps(
            {
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "since": self.started_at,
                "ttl": self.coordinator.ttl_ms / 1000,
                "taken": stats.get_value("mizan/distributed/taken", 0),
                "items": stats.get_value("item_scraped_count", 0),
                "discovering": self.discovering,
            }
        )

    # What the scheduler, the discovery middleware and the store pipeline report ----------------

    def took(self, request: Request, taken: Taken | None) -> None:
        """A request this worker will fetch (``taken``: from the shared queue)."""
        meta = request.meta
        code = news_code_from_url(request.url)
        if taken is not None:
            self.crawler.stats.inc_value("mizan/distributed/taken")
            self.unsettled.add(taken.field)
            if code is not None:
                self.taken[code] = taken.field
        if code is not None and "retry_times" not in meta and "redirect_times" not in meta:
            self.article_requests += 1

    def articles_stored(self, codes: list[int]) -> None:
        fields = [self.taken.pop(code) for code in codes if code in self.taken]
        self.unsettled.difference_update(fields)
        if self.failed:
            return
        try:
            self.coordinator.settle(fields, stored=len(codes))
        except redis.RedisError as error:
            self.fail(error)

    def _settle_all(self) -> None:
        requeued = self.coordinator.settle_all(self.unsettled)
        self.unsettled.clear()
        self.taken.clear()
        if requeued:
            self.crawler.stats.inc_value("mizan/distributed/requeued_unreceived", requeued)
            logger.warning(
                "%d requests this worker took never reached it (their replies were lost while "
                "Redis was away): queued again",
                requeued,
            )

    def store_durable(self) -> bool:
        """Whether every item this worker produced is in the store (asks the store pipeline to
        write what it holds; without a store there is nothing to wait for)."""
        answers = self.crawler.signals.send_catch_log(signal=store_flush)
        return all(answer is True for _, answer in answers)

    def fail(self, error: Exception) -> None:
        """Say once, plainly, why the crawl stops, and stop it."""
        if self.failed:
            return
        self.failed = True
        name = self.coordinator.key.name
        if isinstance(error, CrawlStateLost):
            reason = "redis_state_lost"
            logger.error(
                "The state of crawl %s is gone from Redis at %s (flushed or restarted?): stopping "
                "(%s); run the command again to start afresh (stored articles are not fetched "
                "again)",
                name,
                redact_url(self.url),
                reason,
            )
        else:
            reason = "redis_unavailable"
            logger.error(
                "%s: stopping the crawl (%s); crawl %s stays in Redis, run the same command to "
                "resume when Redis is back",
                redis_problem(self.url, error),
                reason,
                name,
            )
        self.crawler.stats.set_value(
            "mizan/distributed/error", redact_text(str(error), url_secrets(self.url))
        )
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
