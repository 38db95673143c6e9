"""The scheduler of a distributed crawl: article requests go through Redis to whichever worker is
free; discovery requests stay in the process that made them.

A discovery callback (a backfill's sitemap walk, ``news``'s listing pages) keeps state in its
spider (the urlsets still to read, the chain of codes to try, where paging stops), so its requests
must come back to the same process: they use Scrapy's own scheduler here, with a duplicate filter
that lives as long as the process (a listing or sitemap is read again by the next run). A request
whose callback and errback keep no crawl state (the spider's ``shared_callbacks``: parsing one
article) goes to the shared queue, filtered by the shared duplicate filter, keyed by the project's
fingerprint: an article's news code. So no article is fetched twice across workers in a run.

scrapy-redis 0.9 provides the queue layout (a sorted set of pickled requests scored by priority)
and the duplicate filter; with Scrapy 2.19 its own ``Scheduler`` cannot be used as it is: it builds
the duplicate filter with ``from_settings`` (Scrapy's ``RFPDupeFilter`` no longer has it),
fingerprints requests itself (ignoring ``REQUEST_FINGERPRINTER_CLASS``), pushes after filtering in
two separate commands (a worker killed in between loses the request), has no notion of requests a
worker holds, and passes ``spider`` to the stats collector (deprecated).
"""

from __future__ import annotations

import logging
import pickle

import redis
from scrapy import Request, Spider
from scrapy.core.scheduler import BaseScheduler, Scheduler
from scrapy.crawler import Crawler
from scrapy.utils.request import RequestFingerprinterProtocol
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from ..knowledge import SiteKnowledge
from ..request_filter import rejects
from .coordinator import Coordinator, Taken
from .worker import DistributedCrawl

logger = logging.getLogger(__name__)

# What pickling a request can raise: a callback that is not a spider method, an unpicklable meta.
UNSHAREABLE = (ValueError, TypeError, AttributeError, pickle.PicklingError)
# What reading one back can raise: a callback this spider lacks (another version of the project).
UNREADABLE = (ValueError, AttributeError, pickle.UnpicklingError)


def is_shared(request: Request, spider: Spider) -> bool:
    """Whether any worker may handle ``request``: its callback and errback are spider methods
    named in ``spider.shared_callbacks`` (they keep no crawl state)."""
    names = getattr(spider, "shared_callbacks", frozenset())

    def stateless(method: object) -> bool:
        return (
            getattr(method, "__self__", None) is spider and getattr(method, "__name__", "") in names
        )

    return stateless(request.callback) and (request.errback is None or stateless(request.errback))


class NewsCodeDupeFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter, keyed by the crawl's request fingerprinter (the project's
    ``NewsCodeFingerprinter``), so every URL form of an article is one entry."""

    def __init__(
        self,
        server: redis.Redis,
        key: str,
        fingerprinter: RequestFingerprinterProtocol,
        debug: bool = False,
    ) -> None:
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NewsCodeDupeFilter:
        crawl = crawler.get_extension(DistributedCrawl)
        assert crawl is not None, "the duplicate filter needs MIZAN_REDIS_URL"
        coordinator = crawl.coordinator
        return cls(
            coordinator.client,
            coordinator.key.dupefilter,
            crawler.request_fingerprinter,
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
        )

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints (scrapy-redis deletes them): they belong to the whole run, which
        outlives any one worker."""


class SharedQueue(PriorityQueue):
    """scrapy-redis's priority queue, whose push (with the duplicate check) and pop (into the
    worker's pending requests) are each one atomic step of the coordinator."""

    def __init__(self, spider: Spider, coordinator: Coordinator) -> None:
        key = coordinator.key.requests.replace("%", "%%")  # scrapy-redis formats the key
        super().__init__(coordinator.client, spider, key, serializer=picklecompat)
        self.coordinator = coordinator

    def push(self, request: Request, fingerprint: str | None = None) -> bool:
        """Queue ``request`` unless ``fingerprint`` was seen in this run; ``False`` if it was."""
        return self.coordinator.push(fingerprint, -request.priority, self._encode_request(request))

    def take(self) -> tuple[Request, Taken] | None:
        taken = self.coordinator.pop()
        return None if taken is None else (self._decode_request(taken.data), taken)

    def pop(self, timeout: int = 0) -> Request | None:
        taken = self.take()
        return None if taken is None else taken[0]


class SharedScheduler(BaseScheduler):
    """``SCHEDULER`` of a distributed crawl (set by the add-on when ``MIZAN_REDIS_URL`` is)."""

    def __init__(self, crawler: Crawler, crawl: DistributedCrawl, local: Scheduler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.crawl = crawl
        self.local = local
        self.queue: SharedQueue
        self.dupefilter: NewsCodeDupeFilter
        self.spider: Spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        crawl = crawler.get_extension(DistributedCrawl)
        if crawl is None:
            raise RuntimeError(
                "SharedScheduler needs the DistributedCrawl extension: set MIZAN_REDIS_URL"
            )
        return cls(crawler, crawl, Scheduler.from_crawler(crawler))

    def open(self, spider: Spider) -> object:
        self.spider = spider
        self.queue = SharedQueue(spider, self.crawl.coordinator)
        self.dupefilter = NewsCodeDupeFilter.from_crawler(self.crawler)
        return self.local.open(spider)

    def close(self, reason: str) -> object:
        return self.local.close(reason)

    def __len__(self) -> int:
        return len(self.local) + self._queued()

    def has_pending_requests(self) -> bool:
        return self.local.has_pending_requests() or self._queued() > 0

    def enqueue_request(self, request: Request) -> bool:
        if self.crawl.failed or not is_shared(request, self.spider):
            return self.local.enqueue_request(request)  # the project's request filter decides
        if not request.dont_filter and rejects(SiteKnowledge.of(self.crawler), self.stats, request):
            return False  # stored already: the same question the request filter asks
        fingerprint = None if request.dont_filter else self.dupefilter.request_fingerprint(request)
        try:
            queued = self.queue.push(request, fingerprint)
        except redis.RedisError as error:
            self.crawl.fail(error)
            return False
        except UNSHAREABLE as error:
            logger.debug("Keeping %s in this worker (%s)", request, error)
            self.stats.inc_value("mizan/distributed/kept_local")
            return self.local.enqueue_request(request)
        if not queued:
            self.dupefilter.log(request, self.spider)
            self.stats.inc_value("mizan/distributed/duplicates")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.stats.inc_value("scheduler/enqueued")
        return True

    def next_request(self) -> Request | None:
        request = self.local.next_request()
        if request is not None:
            self.crawl.took(request, None)
            return request
        if self.crawl.failed:
            return None
        try:
            taken = self.queue.take()
        except redis.RedisError as error:
            self.crawl.fail(error)
            return None
        except UNREADABLE as error:
            logger.error(
                "Cannot read a request from the shared queue (%s): are all workers "
                "running the same version?",
                error,
            )
            return None
        if taken is None:
            return None
        request, entry = taken
        self.crawl.took(request, entry)
        self.stats.inc_value("scheduler/dequeued/redis")
        self.stats.inc_value("scheduler/dequeued")
        return request

    def _queued(self) -> int:
        if self.crawl.failed:
            return 0
        try:
            return self.crawl.coordinator.queued()
        except redis.RedisError as error:
            self.crawl.fail(error)
            return 0
